// RUN: nirc opt %s --split-input-file -p flatten-subgraphs | filecheck %s
// RUN: nirc opt %s --split-input-file -p flatten-subgraphs | filecheck %s --check-prefix=GONE

// flatten-subgraphs inlines every nested nir.graph: inner nodes move into the parent
// as "<sub>.<inner>" (a taken name gets "_1", "_2", ...), Input/Output nodes vanish
// and each edge through them is replaced by the values they sum.

// GONE: builtin.module
// GONE-NOT: nir.graph "
// GONE-NOT: nir.input "in"
// GONE-NOT: nir.input "a"
// GONE-NOT: nir.input "b"
// GONE-NOT: nir.output "o"
// GONE-NOT: nir.output "out"
// GONE-NOT: dropped

// Cycle through the boundary (result 0 feeds operand 1, port "rec"), an Output with
// fan-in 2, an out port naming a plain node ("lif"), node metadata, and a name
// collision with the parent's "sub.lif".
// CHECK:      nir.graph attributes {metadata = {root = "kept"}} {
// CHECK-NEXT:   %input = nir.input "input" : tensor<2xf32>
// CHECK-NEXT:   %fc = nir.affine "fc" (%input) {weight = dense<{{\[\[}}1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>, bias = dense<[5.000000e-01, -5.000000e-01]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:   %taken = nir.scale "sub.lif" (%fc) {scale = dense<[2.000000e+00, 3.000000e+00]> : tensor<2xf32>}
// CHECK-NEXT:   %[[LIF:[^ ]+]] = nir.lif "sub.lif_1" (%taken, %[[REC:[^)]+]]) {tau = dense<[1.000000e-02, 2.000000e-02]> : tensor<2xf32>, r = dense<1.000000e+00> : tensor<2xf32>, v_leak = dense<0.000000e+00> : tensor<2xf32>, v_threshold = dense<1.000000e+00> : tensor<2xf32>, v_reset = dense<0.000000e+00> : tensor<2xf32>, metadata = {note = "moves"}} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:   %[[REC]] = nir.linear "sub.rec" (%[[LIF]], %[[SKIP:[^)]+]]) {weight = dense<{{\[\[}}0.000000e+00, 1.000000e+00], [1.000000e+00, 0.000000e+00]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:   %[[SKIP]] = nir.scale "sub.skip" (%taken) {scale = dense<[-1.000000e+00, 1.000000e+00]> : tensor<2xf32>}
// CHECK-NEXT:   %post = nir.scale "post" (%[[LIF]])
// CHECK-NEXT:   nir.output "output" (%[[LIF]], %[[SKIP]]) : tensor<2xf32>
// CHECK-NEXT: }
// CHECK-NEXT: }

builtin.module {
  nir.graph attributes {metadata = {root = "kept"}} {
    %input = nir.input "input" : tensor<2xf32>
    %fc = nir.affine "fc" (%input) {weight = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>, bias = dense<[0.5, -0.5]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
    %taken = nir.scale "sub.lif" (%fc) {scale = dense<[2.0, 3.0]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
    %0, %1 = nir.graph "sub" (%taken, %0) -> (tensor<2xf32>, tensor<2xf32>) attributes {metadata = {dropped = "yes"}, in_ports = ["", "rec"], out_ports = ["", "lif"]} {
    ^bb0(%a: tensor<2xf32>, %b: tensor<2xf32>):
      %in = nir.input "in" (%a) : tensor<2xf32> -> tensor<2xf32>
      %lif = nir.lif "lif" (%in, %rec) {tau = dense<[0.01, 0.02]> : tensor<2xf32>, r = dense<1.0> : tensor<2xf32>, v_leak = dense<0.0> : tensor<2xf32>, v_threshold = dense<1.0> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>, metadata = {note = "moves"}} : tensor<2xf32> -> tensor<2xf32>
      %rec = nir.linear "rec" (%b) {weight = dense<[[0.0, 1.0], [1.0, 0.0]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
      %skip = nir.scale "skip" (%in) {scale = dense<[-1.0, 1.0]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
      nir.output "out" (%lif, %skip) : tensor<2xf32>
    }
    %post = nir.scale "post" (%1) {scale = dense<[4.0, 5.0]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
    nir.output "output" (%0) : tensor<2xf32>
  }
}

// -----

// Two levels deep; the inner Input "b" has no incoming edge, so "s" keeps only "input".
// CHECK:      nir.graph {
// CHECK-NEXT:   %input = nir.input "input" : tensor<2xf32>
// CHECK-NEXT:   %[[S:[^ ]+]] = nir.scale "outer.inner.s" (%input) {scale = dense<[2.000000e+00, 3.000000e+00]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:   nir.output "output" (%[[S]]) : tensor<2xf32>
// CHECK-NEXT: }
// CHECK-NEXT: }

builtin.module {
  nir.graph {
    %input = nir.input "input" : tensor<2xf32>
    %0 = nir.graph "outer" (%input) -> (tensor<2xf32>) attributes {in_ports = [""], out_ports = [""]} {
    ^bb0(%x: tensor<2xf32>):
      %in = nir.input "in" (%x) : tensor<2xf32> -> tensor<2xf32>
      %1 = nir.graph "inner" (%in) -> (tensor<2xf32>) attributes {in_ports = ["a"], out_ports = [""]} {
      ^bb0(%y: tensor<2xf32>):
        %a = nir.input "a" (%y) : tensor<2xf32> -> tensor<2xf32>
        %b = nir.input "b" : tensor<2xf32>
        %s = nir.scale "s" (%a, %b) {scale = dense<[2.0, 3.0]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
        nir.output "o" (%s) : tensor<2xf32>
      }
      nir.output "out" (%1) : tensor<2xf32>
    }
    nir.output "output" (%0) : tensor<2xf32>
  }
}
