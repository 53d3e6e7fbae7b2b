// Verifier diagnostics of the snn dialect: each chunk breaks one rule.
// RUN: nirc opt %s --split-input-file --verify-diagnostics | filecheck %s

nir.graph {
  %x = nir.input "x" : tensor<2xf32>
  %l = snn.li "l" (%x) {v_decay = dense<0.9> : tensor<2xf32>, v_gain = dense<0.1> : tensor<2xf64>, v_bias = dense<0.0> : tensor<2xf64>, v_init = dense<0.0> : tensor<2xf64>} : tensor<2xf32> -> tensor<2xf32>
}
// CHECK: error: {{.*}}invalid.mlir: node 'l' (snn.li), field 'v_decay': must be f64, found dtype float32

// -----
nir.graph {
  %x = nir.input "x" : tensor<2xf32>
  %l = snn.li "l" (%x) {v_decay = dense<0.9> : tensor<f64>, v_gain = dense<0.1> : tensor<2xf64>, v_bias = dense<0.0> : tensor<2xf64>, v_init = dense<0.0> : tensor<2xf64>} : tensor<2xf32> -> tensor<2xf32>
}
// CHECK: error: {{.*}}node 'l' (snn.li), field 'v_decay': shape [] must be the neuron shape [2] (snn coefficients are materialized, never broadcast)

// -----
nir.graph {
  %x = nir.input "x" : tensor<2xf32>
  %l = snn.i "l" (%x) {v_gain = dense<"0x000000000000F87F000000000000F03F"> : tensor<2xf64>, v_init = dense<0.0> : tensor<2xf64>} : tensor<2xf32> -> tensor<2xf32>
}
// CHECK: error: {{.*}}node 'l' (snn.i), field 'v_gain': all values must be finite, found nan

// -----
nir.graph {
  %x = nir.input "x" : tensor<2xf32>
  %l = snn.if "l" (%x) {v_gain = dense<1.0> : tensor<2xf64>, v_init = dense<0.0> : tensor<2xf64>, v_threshold = dense<1.0> : tensor<2xf64>, v_reset = dense<0.0> : tensor<2xf64>, reset = "zero"} : tensor<2xf32> -> tensor<2xf32>
}
// CHECK: error: {{.*}}node 'l' (snn.if), field 'reset': must be one of 'value', 'subtract', found 'zero'

// -----
nir.graph {
  %x = nir.input "x" : tensor<2xf32>
  %l = snn.cuba_li "l" (%x) {i_decay = dense<0.9> : tensor<2xf64>, i_gain = dense<0.1> : tensor<2xf64>, v_decay = dense<0.9> : tensor<2xf64>, v_gain = dense<0.1> : tensor<2xf64>, v_bias = dense<0.0> : tensor<2xf64>, v_init = dense<0.0> : tensor<2xf64>, current = "next"} : tensor<2xf32> -> tensor<2xf32>
}
// CHECK: error: {{.*}}node 'l' (snn.cuba_li), field 'current': must be one of 'new', 'previous', found 'next'

// -----
nir.graph {
  %x = nir.input "x" : tensor<2xf32>
  %l = snn.lif "l" (%x) {v_decay = dense<0.9> : tensor<2xf64>, v_gain = dense<0.1> : tensor<2xf64>, v_bias = dense<0.0> : tensor<2xf64>, v_init = dense<0.0> : tensor<2xf64>, v_threshold = dense<1.0> : tensor<2xf64>, v_reset = dense<0.0> : tensor<2xf64>} : tensor<2xf32> -> tensor<2xf32>
}
// CHECK: error: {{.*}}node 'l' (snn.lif): property 'reset' expected in operation 'snn.lif'

// -----
nir.graph {
  %x = nir.input "x" : tensor<2xf32>
  %l = snn.lif "l" (%x) {v_decay = dense<0.9> : tensor<2xf64>, v_gain = dense<0.1> : tensor<2xf64>, v_init = dense<0.0> : tensor<2xf64>, v_threshold = dense<1.0> : tensor<2xf64>, v_reset = dense<0.0> : tensor<2xf64>, reset = "value"} : tensor<2xf32> -> tensor<2xf32>
}
// CHECK: error: {{.*}}node 'l' (snn.lif), field 'v_bias': required field is missing

// -----
nir.graph {
  %x = nir.input "x" : tensor<2xf32>
  %d = snn.delay "d" (%x) {steps = dense<[1, -1]> : tensor<2xi64>} : tensor<2xf32> -> tensor<2xf32>
}
// CHECK: error: {{.*}}node 'd' (snn.delay), field 'steps': must be >= 0, found -1

// -----
nir.graph {
  %x = nir.input "x" : tensor<2xf32>
  %d = snn.delay "d" (%x) {steps = dense<1.0> : tensor<2xf64>} : tensor<2xf32> -> tensor<2xf32>
}
// CHECK: error: {{.*}}node 'd' (snn.delay), field 'steps': must be i64, found dtype float64

// -----
nir.graph {
  %x = nir.input "x" : tensor<3xf32>
  %t = snn.threshold "t" (%x) {threshold = dense<0.5> : tensor<2xf64>} : tensor<3xf32> -> tensor<2xf32>
}
// CHECK: error: {{.*}}node 't' (snn.threshold): input type tensor<3xf32> must equal the output type tensor<2xf32>

// -----
nir.graph {
  %x = nir.input "x" : tensor<2xf32>
  %y = nir.input "y" : tensor<2xf64>
  %t = "snn.threshold"(%x, %y) <{node_name = "t", threshold = dense<0.5> : tensor<2xf64>}> : (tensor<2xf32>, tensor<2xf64>) -> tensor<2xf32>
}
// CHECK: error: {{.*}}node 't' (snn.threshold): all incoming edges must have one shape (they are summed), found tensor<2xf32>, tensor<2xf64>

// -----
nir.graph {
  %x = nir.input "x" : tensor<2xf32>
  %n = nir.graph "sub" (%x) -> (tensor<2xf32>) attributes {in_ports = [""], out_ports = [""]} {
  ^bb0(%a: tensor<2xf32>):
    %in = nir.input "in" (%a) : tensor<2xf32> -> tensor<2xf32>
    %t = snn.threshold "t" (%in) {threshold = dense<0.5> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
    nir.output "out" (%t) : tensor<2xf32>
  }
}
// CHECK: error: {{.*}}node 'sub.t' (snn.threshold), field 'threshold': must be f64, found dtype float32

// -----
nir.graph {
  %x = nir.input "x" : tensor<2xf32>
  %l = snn.layer "l" (%x) -> (tensor<2xf32>) {
  ^bb0(%a: tensor<2xf32>):
    %s = nir.scale "s" (%a) {scale = dense<2.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  }
}
// CHECK: error: {{.*}}layer 'l' (snn.layer): no inner node is named 'l'

// -----
nir.graph {
  %x = nir.input "x" : tensor<2xf32>
  %l = snn.layer "l" (%x) -> (tensor<2xf32>) {
  ^bb0(%a: tensor<2xf32>):
    %l2 = snn.i "l" (%x) {v_gain = dense<1.0> : tensor<2xf64>, v_init = dense<0.0> : tensor<2xf64>} : tensor<2xf32> -> tensor<2xf32>
  }
}
// CHECK: error: {{.*}}layer 'l' (snn.layer): node 'l' takes an edge from outside the layer; edges enter through the layer's operands

// -----
nir.graph {
  %x = nir.input "x" : tensor<2xf32>
  %l = snn.layer "l" (%x) -> (tensor<3xf32>) {
  ^bb0(%a: tensor<2xf32>):
    %l2 = snn.i "l" (%a) {v_gain = dense<1.0> : tensor<2xf64>, v_init = dense<0.0> : tensor<2xf64>} : tensor<2xf32> -> tensor<2xf32>
  }
}
// CHECK: error: {{.*}}layer 'l' (snn.layer): result type tensor<3xf32> differs from node 'l''s tensor<2xf32>
