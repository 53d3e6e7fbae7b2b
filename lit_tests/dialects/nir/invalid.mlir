// Verifier diagnostics of the nir dialect: each chunk breaks one rule.
// RUN: nirc opt %s --split-input-file --verify-diagnostics | filecheck %s

nir.graph {
  %x = nir.input "x" : tensor<2xf32>
  %l = nir.lif "l" (%x) {tau = dense<[1.0e-02, -1.0e-02]> : tensor<2xf32>, r = dense<1.0> : tensor<2xf32>, v_leak = dense<0.0> : tensor<2xf32>, v_threshold = dense<1.0> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
}
// CHECK: error: {{.*}}invalid.mlir: node 'l' (LIF), field 'tau': must be > 0, found -0.01

// -----
nir.graph {
  %x = nir.input "x" : tensor<2xf32>
  %l = nir.li "l" (%x) {tau = dense<"0x0000C07F0000803F"> : tensor<2xf32>, r = dense<1.0> : tensor<2xf32>, v_leak = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
}
// CHECK: error: {{.*}}node 'l' (LI), field 'tau': all values must be finite, found nan

// -----
nir.graph {
  %x = nir.input "x" : tensor<2xf32>
  %l = nir.cuba_lif "l" (%x) {tau_syn = dense<1.0e-02> : tensor<2xf32>, tau_mem = dense<0.0> : tensor<2xf32>, r = dense<1.0> : tensor<2xf32>, v_leak = dense<0.0> : tensor<2xf32>, v_threshold = dense<1.0> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>, w_in = dense<1.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
}
// CHECK: error: {{.*}}node 'l' (CubaLIF), field 'tau_mem': must be > 0, found 0{{$}}

// -----
nir.graph {
  %x = nir.input "x" : tensor<2xf32>
  %l = nir.lif "l" (%x) {tau = dense<1.0e-02> : tensor<3xf32>, r = dense<1.0> : tensor<2xf32>, v_leak = dense<0.0> : tensor<2xf32>, v_threshold = dense<1.0> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
}
// CHECK: error: {{.*}}node 'l' (LIF): parameter arrays must have one shape, found tau[3], r[2], v_leak[2], v_threshold[2], v_reset[2]

// -----
nir.graph {
  %x = nir.input "x" : tensor<4xf32>
  %a = nir.affine "a" (%x) {weight = dense<1.0> : tensor<3x2xf32>, bias = dense<0.0> : tensor<3xf32>} : tensor<4xf32> -> tensor<3xf32>
}
// CHECK: error: {{.*}}node 'a' (Affine): input shape [4] does not match the shape [2] its parameters imply

// -----
nir.graph {
  %x = nir.input "x" : tensor<2xf32>
  %a = nir.affine "a" (%x) {weight = dense<1.0> : tensor<3x2xf32>, bias = dense<0.0> : tensor<3xf32>} : tensor<2xf32> -> tensor<4xf32>
}
// CHECK: error: {{.*}}node 'a' (Affine): output shape [4] does not match the shape [3] computed from its input and parameters

// -----
nir.graph {
  %x = nir.input "x" : tensor<2xf32>
  %a = nir.affine "a" (%x) {weight = dense<1.0> : tensor<3x2xf32>, bias = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<3xf32>
}
// CHECK: error: {{.*}}node 'a' (Affine), field 'bias': shape [2] does not fit output [3]

// -----
nir.graph {
  %x = nir.input "x" : tensor<3x8x8xf32>
  %c = nir.conv2d "c" (%x) {weight = dense<1.0> : tensor<4x1x3x3xf32>, stride = dense<1> : tensor<i64>, padding = dense<0> : tensor<i64>, dilation = dense<1> : tensor<i64>, groups = dense<2> : tensor<i64>, bias = dense<0.0> : tensor<4xf32>} : tensor<3x8x8xf32> -> tensor<4x6x6xf32>
}
// CHECK: error: {{.*}}node 'c' (Conv2d), field 'weight': input has 3 channels but weight C_in/groups=1 times groups=2 is 2

// -----
nir.graph {
  %x = nir.input "x" : tensor<2x2x2xf32>
  %c = nir.conv2d "c" (%x) {weight = dense<1.0> : tensor<4x2x5x5xf32>, stride = dense<1> : tensor<i64>, padding = dense<0> : tensor<i64>, dilation = dense<1> : tensor<i64>, groups = dense<1> : tensor<i64>, bias = dense<0.0> : tensor<4xf32>} : tensor<2x2x2xf32> -> tensor<4x1x1xf32>
}
// CHECK: error: {{.*}}node 'c' (Conv2d): kernel [5, 5] with this stride/padding/dilation leaves an empty output [4, -2, -2] for input [2, 2, 2]

// -----
nir.graph {
  %x = nir.input "x" : tensor<2x8x8xf32>
  %c = nir.conv2d "c" (%x) {weight = dense<1.0> : tensor<4x2x3x3xf32>, stride = dense<0> : tensor<i64>, padding = "full", dilation = dense<1> : tensor<i64>, groups = dense<1> : tensor<i64>, bias = dense<0.0> : tensor<4xf32>} : tensor<2x8x8xf32> -> tensor<4x8x8xf32>
}
// CHECK: error: {{.*}}node 'c' (Conv2d), field 'stride': must be > 0, found 0

// -----
nir.graph {
  %x = nir.input "x" : tensor<2x8x8xf32>
  %c = nir.conv2d "c" (%x) {weight = dense<1.0> : tensor<4x2x3x3xf32>, stride = dense<1.0> : tensor<f32>, padding = dense<0> : tensor<i64>, dilation = dense<1> : tensor<i64>, groups = dense<1> : tensor<i64>, bias = dense<0.0> : tensor<4xf32>} : tensor<2x8x8xf32> -> tensor<4x6x6xf32>
}
// CHECK: error: {{.*}}node 'c' (Conv2d), field 'stride': must hold integers, found dtype float32

// -----
nir.graph {
  %x = nir.input "x" : tensor<2x3x3xf32>
  %f = nir.flatten "f" (%x) {start_dim = dense<2> : tensor<i64>, end_dim = dense<1> : tensor<i64>} : tensor<2x3x3xf32> -> tensor<18xf32>
}
// CHECK: error: {{.*}}node 'f' (Flatten), field 'start_dim': start_dim=2, end_dim=1 do not select dims of a rank-3 input [2, 3, 3]

// -----
nir.graph {
  %x = nir.input "x" : tensor<2xf32>
  %d = nir.delay "d" (%x) {delay = dense<[1.0e-03, -1.0e-03]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
}
// CHECK: error: {{.*}}node 'd' (Delay), field 'delay': must be >= 0, found -0.001

// -----
nir.graph {
  %x = nir.input "x" : tensor<2xf32>
  %y = nir.input "x" : tensor<2xf32>
}
// CHECK: error: {{.*}}graph '<root>' (NIRGraph): duplicate node name 'x'

// -----
nir.graph {
  %x = nir.input "x" : tensor<2xf32>
  %y = nir.input "y" : tensor<3xf32>
  %s = nir.scale "s" (%x, %y) {scale = dense<1.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
}
// CHECK: error: {{.*}}invalid.mlir:[[# @LINE - 2]]:27
// CHECK: operand is used with type tensor<2xf32>, but has been previously used or defined with type tensor<3xf32>

// -----
nir.graph {
  %x = nir.input "x" : tensor<3xf32>
  nir.output "o" (%x) : tensor<3xf32> -> tensor<3xf32>
}
// CHECK: error: {{.*}}invalid.mlir:[[# @LINE - 2]]:{{[0-9]+}}
// CHECK: nir.output has no result: write ': <input type>' only

// -----
nir.graph {
  %x = nir.input "x" : tensor<3xf32>
  %s = nir.graph "sub" (%x) -> (tensor<3xf32>) attributes {in_ports = ["missing"], out_ports = [""]} {
  ^bb0(%a: tensor<3xf32>):
    %i = nir.input "i" (%a) : tensor<3xf32> -> tensor<3xf32>
    nir.output "o" (%i) : tensor<3xf32>
  }
}
// CHECK: error: {{.*}}graph 'sub' (NIRGraph): in_port 0 'missing' names no inner node

// -----
nir.graph {
  %x = nir.input "x" : tensor<3xf32>
  %s = nir.graph "sub" (%x) -> (tensor<4xf32>) attributes {in_ports = [""], out_ports = [""]} {
  ^bb0(%a: tensor<3xf32>):
    %i = nir.input "i" (%a) : tensor<3xf32> -> tensor<3xf32>
    nir.output "o" (%i) : tensor<3xf32>
  }
}
// CHECK: error: {{.*}}graph 'sub' (NIRGraph): result 0 has shape [4] but port 'o' produces [3]
