// nir.graph: nested graphs with ports, edges into/out of them, self-loops, cycles
// through the subgraph boundary; round trip in custom and generic form.
// RUN: nirc opt %s | filecheck %s
// RUN: nirc opt %s --generic | nirc opt - | filecheck %s

builtin.module {
  nir.graph {
    %x = nir.input "x" : tensor<2xf32>
    %fc = nir.linear "fc" (%x) {weight = dense<1.0> : tensor<3x2xf32>} : tensor<2xf32> -> tensor<3xf32>
    %s:2 = nir.graph "sub" (%fc, %s#1) -> (tensor<3xf32>, tensor<3xf32>) attributes {in_ports = ["", "i"], out_ports = ["o", ""], metadata = {note = "inner"}} {
    ^bb0(%a: tensor<3xf32>, %b: tensor<3xf32>):
      %i = nir.input "i" (%a, %b) : tensor<3xf32> -> tensor<3xf32>
      %sc = nir.scale "sc" (%i, %sc) {scale = dense<0.5> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
      nir.output "o" (%sc) : tensor<3xf32>
    }
    nir.output "y" (%s#0) : tensor<3xf32>
  }
}

// CHECK:      nir.graph {
// CHECK-NEXT:   %x = nir.input "x" : tensor<2xf32>
// CHECK-NEXT:   %fc = nir.linear "fc" (%x) {weight = dense<1.000000e+00> : tensor<3x2xf32>} : tensor<2xf32> -> tensor<3xf32>
// CHECK-NEXT:   %[[S0:.*]], %[[S1:.*]] = nir.graph "sub" (%fc, %[[S1]]) -> (tensor<3xf32>, tensor<3xf32>) attributes {in_ports = ["", "i"], out_ports = ["o", ""], metadata = {note = "inner"}} {
// CHECK-NEXT:   ^{{.*}}(%[[A:.*]]: tensor<3xf32>, %[[B:.*]]: tensor<3xf32>):
// CHECK-NEXT:     %i = nir.input "i" (%[[A]], %[[B]]) : tensor<3xf32> -> tensor<3xf32>
// CHECK-NEXT:     %sc = nir.scale "sc" (%i, %sc) {scale = dense<5.000000e-01> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
// CHECK-NEXT:     nir.output "o" (%sc) : tensor<3xf32>
// CHECK-NEXT:   }
// CHECK-NEXT:   nir.output "y" (%[[S0]]) : tensor<3xf32>
// CHECK-NEXT: }
