// group-layers: each neuron and the synapses read only by it become one snn.layer;
// a synapse with two readers, delays and outputs stay in the graph.
//
// RUN: nirc opt %s -p group-layers | filecheck %s
// RUN: nirc opt %s -p group-layers,group-layers | filecheck %s
// RUN: nirc opt %s -p group-layers --generic | nirc opt - | filecheck %s

builtin.module {
  nir.graph {
    %x = nir.input "x" : tensor<2xf32>
    %fc = nir.linear "fc" (%x) {weight = dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>} : tensor<2xf32> -> tensor<3xf32>
    %n = nir.if "n" (%fc, %rec) {r = dense<1.0> : tensor<3xf32>, v_threshold = dense<1.0> : tensor<3xf32>, v_reset = dense<0.0> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
    %rec = nir.linear "rec" (%n) {weight = dense<[[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]> : tensor<3x3xf32>} : tensor<3xf32> -> tensor<3xf32>
    %shared = nir.linear "shared" (%n) {weight = dense<1.0> : tensor<3x3xf32>} : tensor<3xf32> -> tensor<3xf32>
    %m = nir.if "m" (%shared) {r = dense<1.0> : tensor<3xf32>, v_threshold = dense<1.0> : tensor<3xf32>, v_reset = dense<0.0> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
    nir.output "y" (%m) : tensor<3xf32>
    nir.output "z" (%shared) : tensor<3xf32>
  }
}

// CHECK:      %x = nir.input "x" : tensor<2xf32>
// CHECK-NEXT: %n = snn.layer "n" (%x) -> (tensor<3xf32>) {
// CHECK-NEXT: ^bb0(%x_1: tensor<2xf32>):
// CHECK-NEXT:   %fc = nir.linear "fc" (%x_1)
// CHECK-NEXT:   %n_1 = nir.if "n" (%fc, %rec)
// CHECK-NEXT:   %rec = nir.linear "rec" (%n_1)
// CHECK-NEXT: }
// CHECK-NEXT: %shared = nir.linear "shared" (%n)
// CHECK-NEXT: %m = snn.layer "m" (%shared) -> (tensor<3xf32>) {
// CHECK-NEXT: ^bb0(%shared_1: tensor<3xf32>):
// CHECK-NEXT:   %m_1 = nir.if "m" (%shared_1)
// CHECK-NEXT: }
// CHECK-NEXT: nir.output "y" (%m) : tensor<3xf32>
// CHECK-NEXT: nir.output "z" (%shared) : tensor<3xf32>
