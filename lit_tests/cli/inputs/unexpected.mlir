// Mismatches that --verify-diagnostics reports (lit_tests/cli/verify-diagnostics.test).
nir.graph {
  %x = nir.input "x" : tensor<2xf32>
  // expected-error@+1 {{must be > 0}}
  nir.output "y" (%x) : tensor<2xf32>
}

// -----
nir.graph {
  %x = nir.input "x" : tensor<2xf32>
  %l = nir.lif "l" (%x) {tau = dense<-1.0e-02> : tensor<2xf32>, r = dense<1.0> : tensor<2xf32>, v_leak = dense<0.0> : tensor<2xf32>, v_threshold = dense<1.0> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  nir.output "y" (%l) : tensor<2xf32>
}

// -----
nir.graph {
  // expected-error@+1 {{field 'tau': must be > 0}}
  %x = nir.input "x" : tensor<2xf32>
  %l = nir.lif "l" (%x) {tau = dense<-1.0e-02> : tensor<2xf32>, r = dense<1.0> : tensor<2xf32>, v_leak = dense<0.0> : tensor<2xf32>, v_threshold = dense<1.0> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  nir.output "y" (%l) : tensor<2xf32>
}
