// Round trip of every nir op: custom form -> nirc opt (print) -> FileCheck, and
// custom -> generic -> custom (the second RUN) must give the same text.
// RUN: nirc opt %s | filecheck %s
// RUN: nirc opt %s --generic | nirc opt - | filecheck %s

builtin.module {
  nir.graph attributes {metadata = {author = "lit", version = dense<2> : tensor<i64>, tags = {flag = dense<true> : tensor<i1>}}} {
    %in = nir.input "in" : tensor<2x6x6xf32>
    %c2 = nir.conv2d "c2" (%in) {input_shape = dense<6> : tensor<2xi64>, weight = dense<1.000000e+00> : tensor<4x1x3x3xf32>, stride = dense<[2, 1]> : tensor<2xi64>, padding = "same", dilation = dense<1> : tensor<i64>, groups = dense<2> : tensor<i64>, bias = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>} : tensor<2x6x6xf32> -> tensor<4x6x6xf32>
    %sp = nir.sum_pool2d "sp" (%c2) {kernel_size = dense<2> : tensor<2xi64>, stride = dense<2> : tensor<2xi64>, padding = dense<0> : tensor<2xi64>} : tensor<4x6x6xf32> -> tensor<4x3x3xf32>
    %ap = nir.avg_pool2d "ap" (%sp) {kernel_size = dense<[2, 2]> : tensor<2xi64>, stride = dense<1> : tensor<2xi64>, padding = dense<[1, 0]> : tensor<2xi64>} : tensor<4x3x3xf32> -> tensor<4x4x2xf32>
    %fl = nir.flatten "fl" (%ap) {input_type = dense<[4, 4, 2]> : tensor<3xi64>, start_dim = dense<1> : tensor<i64>, end_dim = dense<-1> : tensor<i64>} : tensor<4x4x2xf32> -> tensor<4x8xf32>
    %fl2 = nir.flatten "fl2" (%fl) {start_dim = dense<0> : tensor<i64>, end_dim = dense<1> : tensor<i64>} : tensor<4x8xf32> -> tensor<32xf32>
    %lin = nir.linear "lin" (%fl2) {weight = dense<0.5> : tensor<3x32xf64>} : tensor<32xf32> -> tensor<3xf32>
    %aff = nir.affine "aff" (%lin, %rec) {weight = dense<[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]> : tensor<3x3xf32>, bias = dense<0.25> : tensor<f32>} : tensor<3xf32> -> tensor<3xf32>
    %lif = nir.lif "lif" (%aff) {tau = dense<2.000000e-02> : tensor<3xf32>, r = dense<1.0> : tensor<3xf32>, v_leak = dense<0.0> : tensor<3xf32>, v_threshold = dense<[1.0, 1.5, 2.0]> : tensor<3xf32>, v_reset = dense<0.0> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
    %rec = nir.scale "rec" (%lif) {scale = dense<-0.5> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
    %in0 = nir.input "in0" : tensor<f32>
    %li = nir.li "li" (%in0) {tau = dense<1.0e-02> : tensor<f64>, r = dense<1.0> : tensor<f64>, v_leak = dense<0.0> : tensor<f64>} : tensor<f32> -> tensor<f32>
    %cli = nir.cuba_li "cli" (%lif) {tau_syn = dense<5.0e-03> : tensor<3xf64>, tau_mem = dense<2.0e-02> : tensor<3xf64>, r = dense<1.0> : tensor<3xf64>, v_leak = dense<0.0> : tensor<3xf64>, w_in = dense<1.0> : tensor<3xf64>} : tensor<3xf32> -> tensor<3xf32>
    %clif = nir.cuba_lif "clif" (%cli, %clif) {tau_syn = dense<5.0e-03> : tensor<3xf64>, tau_mem = dense<2.0e-02> : tensor<3xf64>, r = dense<1.0> : tensor<3xf64>, v_leak = dense<0.0> : tensor<3xf64>, v_threshold = dense<1.0> : tensor<3xf64>, v_reset = dense<0.0> : tensor<3xf64>, w_in = dense<2.0> : tensor<3xf64>} : tensor<3xf32> -> tensor<3xf32>
    %i = nir.i "i" (%clif) {r = dense<1.0> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
    %if = nir.if "if" (%i) {r = dense<1.0> : tensor<3xf32>, v_threshold = dense<1.0> : tensor<3xf32>, v_reset = dense<0.0> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
    %th = nir.threshold "th" (%if) {threshold = dense<0.5> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
    %dl = nir.delay "dl" (%th) {delay = dense<[1.0e-03, 2.0e-03, 0.0]> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
    %c1in = nir.input "c1in" : tensor<2x8xf32>
    %c1 = nir.conv1d "c1" (%c1in) {weight = dense<1.0> : tensor<4x2x3xf32>, stride = dense<1> : tensor<i64>, padding = "valid", dilation = dense<2> : tensor<i64>, groups = dense<1> : tensor<i64>, bias = dense<0.0> : tensor<4xf32>} : tensor<2x8xf32> -> tensor<4x4xf32>
    nir.output "out" (%dl) : tensor<3xf32>
    nir.output "out_li" (%li) : tensor<f32>
    nir.output "out_c1" (%c1) : tensor<4x4xf32>
    nir.output "unconnected" : tensor<5xf32>
  }
}

// CHECK:      nir.graph attributes {metadata = {author = "lit", version = dense<2> : tensor<i64>, tags = {flag = dense<true> : tensor<i1>}}} {
// CHECK-NEXT:   %in = nir.input "in" : tensor<2x6x6xf32>
// CHECK-NEXT:   %c2 = nir.conv2d "c2" (%in) {input_shape = dense<6> : tensor<2xi64>, weight = dense<1.000000e+00> : tensor<4x1x3x3xf32>, stride = dense<[2, 1]> : tensor<2xi64>, padding = "same", dilation = dense<1> : tensor<i64>, groups = dense<2> : tensor<i64>, bias = dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]> : tensor<4xf32>} : tensor<2x6x6xf32> -> tensor<4x6x6xf32>
// CHECK-NEXT:   %sp = nir.sum_pool2d "sp" (%c2) {kernel_size = dense<2> : tensor<2xi64>, stride = dense<2> : tensor<2xi64>, padding = dense<0> : tensor<2xi64>} : tensor<4x6x6xf32> -> tensor<4x3x3xf32>
// CHECK-NEXT:   %ap = nir.avg_pool2d "ap" (%sp) {kernel_size = dense<2> : tensor<2xi64>, stride = dense<1> : tensor<2xi64>, padding = dense<[1, 0]> : tensor<2xi64>} : tensor<4x3x3xf32> -> tensor<4x4x2xf32>
// CHECK-NEXT:   %fl = nir.flatten "fl" (%ap) {input_type = dense<[4, 4, 2]> : tensor<3xi64>, start_dim = dense<1> : tensor<i64>, end_dim = dense<-1> : tensor<i64>} : tensor<4x4x2xf32> -> tensor<4x8xf32>
// CHECK-NEXT:   %fl2 = nir.flatten "fl2" (%fl) {start_dim = dense<0> : tensor<i64>, end_dim = dense<1> : tensor<i64>} : tensor<4x8xf32> -> tensor<32xf32>
// CHECK-NEXT:   %lin = nir.linear "lin" (%fl2) {weight = dense<5.000000e-01> : tensor<3x32xf64>} : tensor<32xf32> -> tensor<3xf32>
// CHECK-NEXT:   %aff = nir.affine "aff" (%lin, %rec) {weight = dense<{{\[\[}}1.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 1.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 1.000000e+00{{\]\]}}> : tensor<3x3xf32>, bias = dense<2.500000e-01> : tensor<f32>} : tensor<3xf32> -> tensor<3xf32>
// CHECK-NEXT:   %lif = nir.lif "lif" (%aff) {tau = dense<2.000000e-02> : tensor<3xf32>, r = dense<1.000000e+00> : tensor<3xf32>, v_leak = dense<0.000000e+00> : tensor<3xf32>, v_threshold = dense<[1.000000e+00, 1.500000e+00, 2.000000e+00]> : tensor<3xf32>, v_reset = dense<0.000000e+00> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
// CHECK-NEXT:   %rec = nir.scale "rec" (%lif) {scale = dense<-5.000000e-01> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
// CHECK-NEXT:   %in0 = nir.input "in0" : tensor<f32>
// CHECK-NEXT:   %li = nir.li "li" (%in0) {tau = dense<1.000000e-02> : tensor<f64>, r = dense<1.000000e+00> : tensor<f64>, v_leak = dense<0.000000e+00> : tensor<f64>} : tensor<f32> -> tensor<f32>
// CHECK-NEXT:   %cli = nir.cuba_li "cli" (%lif) {tau_syn = dense<5.000000e-03> : tensor<3xf64>, tau_mem = dense<2.000000e-02> : tensor<3xf64>, r = dense<1.000000e+00> : tensor<3xf64>, v_leak = dense<0.000000e+00> : tensor<3xf64>, w_in = dense<1.000000e+00> : tensor<3xf64>} : tensor<3xf32> -> tensor<3xf32>
// CHECK-NEXT:   %clif = nir.cuba_lif "clif" (%cli, %clif) {{{.*}}w_in = dense<2.000000e+00> : tensor<3xf64>} : tensor<3xf32> -> tensor<3xf32>
// CHECK-NEXT:   %i = nir.i "i" (%clif) {r = dense<1.000000e+00> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
// CHECK-NEXT:   %if = nir.if "if" (%i) {r = dense<1.000000e+00> : tensor<3xf32>, v_threshold = dense<1.000000e+00> : tensor<3xf32>, v_reset = dense<0.000000e+00> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
// CHECK-NEXT:   %th = nir.threshold "th" (%if) {threshold = dense<5.000000e-01> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
// CHECK-NEXT:   %dl = nir.delay "dl" (%th) {delay = dense<[1.000000e-03, 2.000000e-03, 0.000000e+00]> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
// CHECK-NEXT:   %c1in = nir.input "c1in" : tensor<2x8xf32>
// CHECK-NEXT:   %c1 = nir.conv1d "c1" (%c1in) {weight = dense<1.000000e+00> : tensor<4x2x3xf32>, stride = dense<1> : tensor<i64>, padding = "valid", dilation = dense<2> : tensor<i64>, groups = dense<1> : tensor<i64>, bias = dense<0.000000e+00> : tensor<4xf32>} : tensor<2x8xf32> -> tensor<4x4xf32>
// CHECK-NEXT:   nir.output "out" (%dl) : tensor<3xf32>
// CHECK-NEXT:   nir.output "out_li" (%li) : tensor<f32>
// CHECK-NEXT:   nir.output "out_c1" (%c1) : tensor<4x4xf32>
// CHECK-NEXT:   nir.output "unconnected" () : tensor<5xf32>
// CHECK-NEXT: }
