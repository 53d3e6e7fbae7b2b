// Round trip of every snn op: custom form -> nirc opt (print) -> FileCheck, and
// custom -> generic -> custom (the second RUN) must give the same text.  The last op
// of the input is written in the generic form and prints in the custom form.
// RUN: nirc opt %s | filecheck %s
// RUN: nirc opt %s --generic | nirc opt - | filecheck %s
// RUN: nirc opt %s --generic | filecheck %s --check-prefix=GEN

builtin.module attributes {nirc.dt = 1.000000e-04 : f64, nirc.method = "euler", nirc.reset = "value", nirc.v_init = "zero", nirc.current = "new"} {
  nir.graph {
    %x = nir.input "x" : tensor<3xf32>
    %li = snn.li "li" (%x) {v_decay = dense<0.9> : tensor<3xf64>, v_gain = dense<[0.1, 0.2, 0.3]> : tensor<3xf64>, v_bias = dense<0.0> : tensor<3xf64>, v_init = dense<0.0> : tensor<3xf64>} : tensor<3xf32> -> tensor<3xf32>
    %lif = snn.lif "lif" (%li, %lif) {v_decay = dense<0.90483741803595952> : tensor<3xf64>, v_gain = dense<0.095162581964040482> : tensor<3xf64>, v_bias = dense<-0.5> : tensor<3xf64>, v_init = dense<-5.0> : tensor<3xf64>, v_threshold = dense<[1.0, 1.5, 2.0]> : tensor<3xf64>, v_reset = dense<0.0> : tensor<3xf64>, reset = "subtract", metadata = {note = "kept"}} : tensor<3xf32> -> tensor<3xf32>
    %cli = snn.cuba_li "cli" (%lif) {i_decay = dense<0.98> : tensor<3xf64>, i_gain = dense<0.02> : tensor<3xf64>, v_decay = dense<0.995> : tensor<3xf64>, v_gain = dense<0.005> : tensor<3xf64>, v_bias = dense<0.0> : tensor<3xf64>, v_init = dense<0.0> : tensor<3xf64>, current = "previous"} : tensor<3xf32> -> tensor<3xf32>
    %clif = snn.cuba_lif "clif" (%cli) {i_decay = dense<0.98> : tensor<3xf64>, i_gain = dense<0.02> : tensor<3xf64>, v_decay = dense<0.995> : tensor<3xf64>, v_gain = dense<0.005> : tensor<3xf64>, v_bias = dense<0.0> : tensor<3xf64>, v_init = dense<0.0> : tensor<3xf64>, v_threshold = dense<1.0> : tensor<3xf64>, v_reset = dense<0.0> : tensor<3xf64>, current = "new", reset = "value"} : tensor<3xf32> -> tensor<3xf32>
    %i = snn.i "i" (%clif) {v_gain = dense<2.0> : tensor<3xf64>, v_init = dense<0.0> : tensor<3xf64>} : tensor<3xf32> -> tensor<3xf32>
    %if = snn.if "if" (%i) {v_gain = dense<1.0> : tensor<3xf64>, v_init = dense<0.0> : tensor<3xf64>, v_threshold = dense<1.0> : tensor<3xf64>, v_reset = dense<0.0> : tensor<3xf64>, reset = "value"} : tensor<3xf32> -> tensor<3xf32>
    %th = snn.threshold "th" (%if) {threshold = dense<[0.5, 0.25, 0.0]> : tensor<3xf64>} : tensor<3xf32> -> tensor<3xf32>
    %free = snn.lif "free" () {v_decay = dense<0.9> : tensor<f64>, v_gain = dense<0.1> : tensor<f64>, v_bias = dense<0.1> : tensor<f64>, v_init = dense<0.0> : tensor<f64>, v_threshold = dense<0.5> : tensor<f64>, v_reset = dense<0.0> : tensor<f64>, reset = "value"} : tensor<f32>
    %dl = "snn.delay"(%th) <{node_name = "dl", steps = dense<[10, 20, 0]> : tensor<3xi64>}> : (tensor<3xf32>) -> tensor<3xf32>
    nir.output "out" (%dl) : tensor<3xf32>
    nir.output "out_free" (%free) : tensor<f32>
  }
}

// CHECK:      builtin.module attributes {nirc.dt = 1.000000e-04 : f64, nirc.method = "euler", nirc.reset = "value", nirc.v_init = "zero", nirc.current = "new"} {
// CHECK-NEXT:   nir.graph {
// CHECK-NEXT:     %x = nir.input "x" : tensor<3xf32>
// CHECK-NEXT:     %li = snn.li "li" (%x) {v_decay = dense<9.000000e-01> : tensor<3xf64>, v_gain = dense<[1.000000e-01, 2.000000e-01, 3.000000e-01]> : tensor<3xf64>, v_bias = dense<0.000000e+00> : tensor<3xf64>, v_init = dense<0.000000e+00> : tensor<3xf64>} : tensor<3xf32> -> tensor<3xf32>
// CHECK-NEXT:     %lif = snn.lif "lif" (%li, %lif) {v_decay = dense<0.90483741803595952> : tensor<3xf64>, v_gain = dense<0.095162581964040482> : tensor<3xf64>, v_bias = dense<-5.000000e-01> : tensor<3xf64>, v_init = dense<-5.000000e+00> : tensor<3xf64>, v_threshold = dense<[1.000000e+00, 1.500000e+00, 2.000000e+00]> : tensor<3xf64>, v_reset = dense<0.000000e+00> : tensor<3xf64>, reset = "subtract", metadata = {note = "kept"}} : tensor<3xf32> -> tensor<3xf32>
// CHECK-NEXT:     %cli = snn.cuba_li "cli" (%lif) {i_decay = dense<9.800000e-01> : tensor<3xf64>, i_gain = dense<2.000000e-02> : tensor<3xf64>, v_decay = dense<9.950000e-01> : tensor<3xf64>, v_gain = dense<5.000000e-03> : tensor<3xf64>, v_bias = dense<0.000000e+00> : tensor<3xf64>, v_init = dense<0.000000e+00> : tensor<3xf64>, current = "previous"} : tensor<3xf32> -> tensor<3xf32>
// CHECK-NEXT:     %clif = snn.cuba_lif "clif" (%cli) {i_decay = dense<9.800000e-01> : tensor<3xf64>, i_gain = dense<2.000000e-02> : tensor<3xf64>, v_decay = dense<9.950000e-01> : tensor<3xf64>, v_gain = dense<5.000000e-03> : tensor<3xf64>, v_bias = dense<0.000000e+00> : tensor<3xf64>, v_init = dense<0.000000e+00> : tensor<3xf64>, v_threshold = dense<1.000000e+00> : tensor<3xf64>, v_reset = dense<0.000000e+00> : tensor<3xf64>, current = "new", reset = "value"} : tensor<3xf32> -> tensor<3xf32>
// CHECK-NEXT:     %i = snn.i "i" (%clif) {v_gain = dense<2.000000e+00> : tensor<3xf64>, v_init = dense<0.000000e+00> : tensor<3xf64>} : tensor<3xf32> -> tensor<3xf32>
// CHECK-NEXT:     %if = snn.if "if" (%i) {v_gain = dense<1.000000e+00> : tensor<3xf64>, v_init = dense<0.000000e+00> : tensor<3xf64>, v_threshold = dense<1.000000e+00> : tensor<3xf64>, v_reset = dense<0.000000e+00> : tensor<3xf64>, reset = "value"} : tensor<3xf32> -> tensor<3xf32>
// CHECK-NEXT:     %th = snn.threshold "th" (%if) {threshold = dense<[5.000000e-01, 2.500000e-01, 0.000000e+00]> : tensor<3xf64>} : tensor<3xf32> -> tensor<3xf32>
// CHECK-NEXT:     %free = snn.lif "free" () {v_decay = dense<9.000000e-01> : tensor<f64>, v_gain = dense<1.000000e-01> : tensor<f64>, v_bias = dense<1.000000e-01> : tensor<f64>, v_init = dense<0.000000e+00> : tensor<f64>, v_threshold = dense<5.000000e-01> : tensor<f64>, v_reset = dense<0.000000e+00> : tensor<f64>, reset = "value"} : tensor<f32>
// CHECK-NEXT:     %dl = snn.delay "dl" (%th) {steps = dense<[10, 20, 0]> : tensor<3xi64>} : tensor<3xf32> -> tensor<3xf32>
// CHECK-NEXT:     nir.output "out" (%dl) : tensor<3xf32>
// CHECK-NEXT:     nir.output "out_free" (%free) : tensor<f32>
// CHECK-NEXT:   }
// CHECK-NEXT: }

// GEN: "snn.lif"(%{{.*}}, %{{.*}}) <{node_name = "lif", v_decay = dense<0.90483741803595952> : tensor<3xf64>, {{.*}}, reset = "subtract", metadata = {note = "kept"}}> : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
// GEN: "snn.cuba_lif"(%{{.*}}) <{node_name = "clif", {{.*}}, current = "new", reset = "value"}> : (tensor<3xf32>) -> tensor<3xf32>
// GEN: "snn.lif"() <{node_name = "free", {{.*}}}> : () -> tensor<f32>
// GEN: "snn.delay"(%{{.*}}) <{node_name = "dl", steps = dense<[10, 20, 0]> : tensor<3xi64>}> : (tensor<3xf32>) -> tensor<3xf32>
