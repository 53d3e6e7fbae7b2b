// Annotated diagnostics for --verify-diagnostics (lit_tests/cli/verify-diagnostics.test).
nir.graph {
  %x = nir.input "x" : tensor<2xf32>
  // expected-error@+1 {{node 'l' (LIF), field 'tau': must be > 0, found -0.01}}
  %l = nir.lif "l" (%x) {tau = dense<[1.0e-02, -1.0e-02]> : tensor<2xf32>, r = dense<1.0> : tensor<2xf32>, v_leak = dense<0.0> : tensor<2xf32>, v_threshold = dense<1.0> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  nir.output "y" (%l) : tensor<2xf32>
}

// -----
// tau = 5e-5 s < dt = 1e-4 s: forward Euler's decay 1 - dt/tau = -1.
nir.graph {
  %x = nir.input "x" : tensor<2xf32>
  %l = nir.lif "l" (%x) {tau = dense<5.0e-05> : tensor<2xf32>, r = dense<1.0> : tensor<2xf32>, v_leak = dense<0.0> : tensor<2xf32>, v_threshold = dense<1.0> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32> // expected-warning {{forward Euler gives a negative decay -1}}
  nir.output "y" (%l) : tensor<2xf32>
}

// -----
nir.graph {
  %x = nir.input "x" : tensor<2xf32>
  %l = nir.bogus "l" (%x) : tensor<2xf32> // expected-error {{Operation nir.bogus is not registered}}
}

// -----
nir.graph {
  %x = nir.input "x" : tensor<2xf32>
  nir.output "y" (%x) : tensor<2xf32>
}
