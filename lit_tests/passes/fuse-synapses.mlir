// fuse-synapses: dense chains merge (W = W2 @ W1, b = W2 @ b1 + b2), scales fold into
// the neighbouring dense or conv op, AvgPool2d becomes SumPool2d with its 1/(kh*kw)
// folded into the next Linear (or kept as a Scale), identity Flattens disappear; the
// fused op keeps the outer op's name and metadata.  Multi-use values and sums stay.
//
// RUN: nirc opt %s -p fuse-synapses | filecheck %s --check-prefixes=CHECK,NIR
// RUN: nirc opt %s -p fuse-synapses,fuse-synapses | filecheck %s --check-prefixes=CHECK,NIR
// RUN: nirc opt %s -p fuse-synapses --generic | nirc opt - | filecheck %s --check-prefixes=CHECK,NIR
// RUN: nirc opt %s -p discretize,fuse-synapses | filecheck %s --check-prefixes=CHECK,SNN

builtin.module {
  nir.graph {
    %x = nir.input "x" : tensor<2xf32>
    %a1 = nir.affine "a1" (%x) {weight = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>, bias = dense<[1.0, -1.0]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
    %a2 = nir.affine "a2" (%a1) {weight = dense<[[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]]> : tensor<3x2xf32>, bias = dense<[0.5, 0.0, -1.0]> : tensor<3xf32>, metadata = {kept = "yes"}} : tensor<2xf32> -> tensor<3xf32>
    %lif = nir.lif "lif" (%a2) {tau = dense<1.0e-3> : tensor<3xf64>, r = dense<1.0> : tensor<3xf64>, v_leak = dense<0.0> : tensor<3xf64>, v_threshold = dense<1.0> : tensor<3xf64>, v_reset = dense<0.0> : tensor<3xf64>} : tensor<3xf32> -> tensor<3xf32>
    %s1 = nir.scale "s1" (%lif) {scale = dense<[2.0, 0.5, -1.0]> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
    %l1 = nir.linear "l1" (%s1) {weight = dense<[[1.0, 2.0, 3.0]]> : tensor<1x3xf32>} : tensor<3xf32> -> tensor<1xf32>
    %f1 = nir.flatten "f1" (%l1) {input_type = dense<1> : tensor<1xi64>, start_dim = dense<0> : tensor<i64>, end_dim = dense<0> : tensor<i64>} : tensor<1xf32> -> tensor<1xf32>
    %l2 = nir.linear "l2" (%f1) {weight = dense<[[4.0], [-1.0]]> : tensor<2x1xf64>} : tensor<1xf32> -> tensor<2xf32>
    %s2 = nir.scale "s2" (%l2) {scale = dense<[0.5, 3.0]> : tensor<2xf64>} : tensor<2xf32> -> tensor<2xf32>
    nir.output "y" (%s2) : tensor<2xf32>
    %img = nir.input "img" : tensor<1x2x2xf32>
    %c = nir.conv2d "c" (%img) {weight = dense<[[[[1.0]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>, stride = dense<1> : tensor<i64>, padding = dense<0> : tensor<i64>, dilation = dense<1> : tensor<i64>, groups = dense<1> : tensor<i64>, bias = dense<[1.0, 1.0]> : tensor<2xf32>} : tensor<1x2x2xf32> -> tensor<2x2x2xf32>
    %cs = nir.scale "cs" (%c) {scale = dense<[[[3.0, 3.0], [3.0, 3.0]], [[-1.0, -1.0], [-1.0, -1.0]]]> : tensor<2x2x2xf32>} : tensor<2x2x2xf32> -> tensor<2x2x2xf32>
    %p = nir.avg_pool2d "p" (%cs) {kernel_size = dense<2> : tensor<2xi64>, stride = dense<2> : tensor<2xi64>, padding = dense<0> : tensor<2xi64>} : tensor<2x2x2xf32> -> tensor<2x1x1xf32>
    %fl = nir.flatten "fl" (%p) {start_dim = dense<0> : tensor<i64>, end_dim = dense<-1> : tensor<i64>} : tensor<2x1x1xf32> -> tensor<2xf32>
    %cl = nir.linear "cl" (%fl) {weight = dense<[[1.0, -2.0]]> : tensor<1x2xf32>} : tensor<2xf32> -> tensor<1xf32>
    nir.output "z" (%cl) : tensor<1xf32>
    %q = nir.avg_pool2d "q" (%img) {kernel_size = dense<2> : tensor<2xi64>, stride = dense<1> : tensor<2xi64>, padding = dense<1> : tensor<2xi64>} : tensor<1x2x2xf32> -> tensor<1x3x3xf32>
    nir.output "w" (%q) : tensor<1x3x3xf32>
    %u = nir.input "u" : tensor<2xf32>
    %m1 = nir.linear "m1" (%u) {weight = dense<[[1.0, 1.0], [0.0, 1.0]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
    %m2 = nir.linear "m2" (%m1) {weight = dense<2.0> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
    %m3 = nir.linear "m3" (%u, %m2) {weight = dense<3.0> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
    nir.output "tap" (%m1) : tensor<2xf32>
    nir.output "v" (%m3) : tensor<2xf32>
  }
}

// Hand calculations:
//   a1, a2:  W2 @ W1 = [[1,0],[0,2],[1,1]] @ [[1,2],[3,4]] = [[1,2],[6,8],[4,6]]
//            W2 @ b1 + b2 = [1, -2, 0] + [0.5, 0, -1] = [1.5, -2, -1]   (f32 x f32: f32)
//   s1 -> l1 -> f1 -> l2 -> s2 (f1 maps 1 -> 1: the identity):
//            l1 diag(s1) = [[1*2, 2*0.5, 3*-1]] = [[2, 1, -3]]
//            l2 @ that   = [[4],[-1]] @ [[2, 1, -3]] = [[8, 4, -12], [-2, -1, 3]]
//            diag(s2) @  = [[0.5*8, 0.5*4, 0.5*-12], [3*-2, 3*-1, 3*3]] = [[4, 2, -6], [-6, -3, 9]]
//            a Linear named s2, f64 (l2 and s2 are f64)
//   c, cs:   scale 3 on channel 0, -1 on channel 1: weight [3], [-2], bias [3, -1]
//   p:       1/(2*2) into cl: [[1, -2]] / 4 = [[0.25, -0.5]]; p becomes a SumPool2d
//   q:       feeds an Output: SumPool2d "q_sum" then Scale "q" of 1/4 (padding 1: the
//            interpreter divides by 4 also at the border, so this is exact)
//   m1 has two uses (m2 and tap), m3 sums u and m2: nothing merges.

// CHECK-LABEL: nir.graph {
// CHECK-NEXT:    %x = nir.input "x" : tensor<2xf32>
// CHECK-NEXT:    %a2 = nir.affine "a2" (%x) {weight = dense<{{\[\[}}1.000000e+00, 2.000000e+00], [6.000000e+00, 8.000000e+00], [4.000000e+00, 6.000000e+00{{\]\]}}> : tensor<3x2xf32>, bias = dense<[1.500000e+00, -2.000000e+00, -1.000000e+00]> : tensor<3xf32>, metadata = {kept = "yes"}} : tensor<2xf32> -> tensor<3xf32>
// NIR-NEXT:      %lif = nir.lif "lif" (%a2) {{{.*}}} : tensor<3xf32> -> tensor<3xf32>
// SNN-NEXT:      %lif = snn.lif "lif" (%a2) {{{.*}}} : tensor<3xf32> -> tensor<3xf32>
// CHECK-NEXT:    %s2 = nir.linear "s2" (%lif) {weight = dense<{{\[\[}}4.000000e+00, 2.000000e+00, -6.000000e+00], [-6.000000e+00, -3.000000e+00, 9.000000e+00{{\]\]}}> : tensor<2x3xf64>} : tensor<3xf32> -> tensor<2xf32>
// CHECK-NEXT:    nir.output "y" (%s2) : tensor<2xf32>
// CHECK-NEXT:    %img = nir.input "img" : tensor<1x2x2xf32>
// CHECK-NEXT:    %cs = nir.conv2d "cs" (%img) {weight = dense<{{\[\[\[\[}}3.000000e+00]]], {{\[\[\[}}-2.000000e+00{{\]\]\]\]}}> : tensor<2x1x1x1xf32>, stride = dense<1> : tensor<i64>, padding = dense<0> : tensor<i64>, dilation = dense<1> : tensor<i64>, groups = dense<1> : tensor<i64>, bias = dense<[3.000000e+00, -1.000000e+00]> : tensor<2xf32>} : tensor<1x2x2xf32> -> tensor<2x2x2xf32>
// CHECK-NEXT:    %p = nir.sum_pool2d "p" (%cs) {kernel_size = dense<2> : tensor<2xi64>, stride = dense<2> : tensor<2xi64>, padding = dense<0> : tensor<2xi64>} : tensor<2x2x2xf32> -> tensor<2x1x1xf32>
// CHECK-NEXT:    %fl = nir.flatten "fl" (%p) {start_dim = dense<0> : tensor<i64>, end_dim = dense<-1> : tensor<i64>} : tensor<2x1x1xf32> -> tensor<2xf32>
// CHECK-NEXT:    %cl = nir.linear "cl" (%fl) {weight = dense<{{\[\[}}2.500000e-01, -5.000000e-01{{\]\]}}> : tensor<1x2xf32>} : tensor<2xf32> -> tensor<1xf32>
// CHECK-NEXT:    nir.output "z" (%cl) : tensor<1xf32>
// CHECK-NEXT:    %q_sum = nir.sum_pool2d "q_sum" (%img) {kernel_size = dense<2> : tensor<2xi64>, stride = dense<1> : tensor<2xi64>, padding = dense<1> : tensor<2xi64>} : tensor<1x2x2xf32> -> tensor<1x3x3xf32>
// CHECK-NEXT:    %q = nir.scale "q" (%q_sum) {scale = dense<2.500000e-01> : tensor<1x3x3xf64>} : tensor<1x3x3xf32> -> tensor<1x3x3xf32>
// CHECK-NEXT:    nir.output "w" (%q) : tensor<1x3x3xf32>
// CHECK-NEXT:    %u = nir.input "u" : tensor<2xf32>
// CHECK-NEXT:    %m1 = nir.linear "m1" (%u) {weight = dense<{{\[\[}}1.000000e+00, 1.000000e+00], [0.000000e+00, 1.000000e+00{{\]\]}}> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    %m2 = nir.linear "m2" (%m1) {weight = dense<2.000000e+00> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    %m3 = nir.linear "m3" (%u, %m2) {weight = dense<3.000000e+00> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    nir.output "tap" (%m1) : tensor<2xf32>
// CHECK-NEXT:    nir.output "v" (%m3) : tensor<2xf32>
// CHECK-NEXT:  }
