// lower-to-spinnaker2: a fused, discretized graph -> one spinnaker2.network op with
// s2_nir's parameters (hand calculation below), printed and re-parsed.
//
// (printed generic, re-parsed and printed in the custom form)
// RUN: nirc opt %s -p lower-to-spinnaker2 --generic | nirc opt - | filecheck %s
// RUN: nirc opt %s -p 'lower-to-spinnaker2{conn-delay=1}' | filecheck %s --check-prefix=DELAY

builtin.module attributes {nirc.dt = 1.000000e-04 : f64, nirc.method = "euler", nirc.reset = "value", nirc.v_init = "zero", nirc.current = "new"} {
  nir.graph {
    %x = nir.input "x" : tensor<2xf32>
    %a = snn.layer "a" (%x) -> (tensor<2xf32>) {
    ^bb0(%x_1: tensor<2xf32>):
      %fa = nir.affine "fa" (%x_1) {weight = dense<[[5.000000e-01, -1.000000e+00], [2.500000e-01, 7.500000e-01]]> : tensor<2x2xf32>, bias = dense<[1.000000e-01, -2.000000e-01]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
      %a_1 = snn.lif "a" (%fa, %ra) {v_decay = dense<[9.500000e-01, 9.750000e-01]> : tensor<2xf64>, v_gain = dense<[1.000000e-01, 2.500000e-02]> : tensor<2xf64>, v_bias = dense<[5.000000e-03, 0.000000e+00]> : tensor<2xf64>, v_init = dense<0.000000e+00> : tensor<2xf64>, v_threshold = dense<[1.000000e+00, 5.000000e-01]> : tensor<2xf64>, v_reset = dense<[2.000000e-01, 0.000000e+00]> : tensor<2xf64>, reset = "value"} : tensor<2xf32> -> tensor<2xf32>
      %ra = nir.linear "ra" (%a_1) {weight = dense<[[0.000000e+00, 5.000000e-01], [-5.000000e-01, 0.000000e+00]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
    }
    nir.output "y" (%a) : tensor<2xf32>
  }
}

// w_scale = 127 / max|W| = 127 (fa and the recurrent ra together); int8 weights
// rint(127 W): 63.5 -> 64 (half to even), -127, 31.75 -> 32, 95.25 -> 95; ra: 63.5 -> 64,
// -64; threshold = v_threshold / v_gain * 127 = 1270, 2540; i_offset = (v_bias / v_gain
// + bias) * 127 = 19.05, -25.4; v_reset = 0.2 / 0.1 * 127 = 254; v_scale = v_gain / 127.
// CHECK:      %spinnaker2 = spinnaker2.network "spinnaker2" (%x) {populations = [{name = "x", model = "spike_list", reset = "reset_to_v_reset", shape = dense<2> : tensor<1xi64>, max_atoms = 2 : i64, spiking = 1 : i64, pes = dense<{{\[\[}}0, 2, 0]]> : tensor<1x3xi64>},
// CHECK-SAME: {name = "a", model = "lif_no_delay", reset = "reset_to_v_reset", shape = dense<2> : tensor<1xi64>, max_atoms = 2 : i64, spiking = 1 : i64,
// CHECK-SAME: alpha_decay = dense<[9.500000e-01, 9.750000e-01]> : tensor<2xf32>, i_offset = dense<[1.905000e+01, -2.540000e+01]> : tensor<2xf32>, v_init = dense<0.000000e+00> : tensor<2xf32>, threshold = dense<[1.270000e+03, 2.540000e+03]> : tensor<2xf32>, v_reset = dense<[2.540000e+02, 0.000000e+00]> : tensor<2xf32>
// CHECK-SAME: v_scale = dense<{{\[}}0.0007874015748031496, 0.0001968503937007874]> : tensor<2xf64>
// CHECK-SAME: pes = dense<{{\[\[}}0, 2, 1]]> : tensor<1x3xi64>}]
// Projections in the neuron's operand order: fa (x -> a, conn-delay 0), then the
// recurrent ra (a -> a, delivered the next step: delay 1).
// CHECK-SAME: projections = [{name = "fa", pre = "x", post = "a", kind = "list", weight = dense<{{\[\[}}64, -127], [32, 95]]> : tensor<2x2xi8>, delay = dense<0> : tensor<2xi64>}, {name = "ra", pre = "a", post = "a", kind = "list", weight = dense<{{\[\[}}0, 64], [-64, 0]]> : tensor<2x2xi8>, delay = dense<1> : tensor<2xi64>}]
// CHECK-SAME: input_name = "x", output_name = "a", unit_out = dense<1.000000e+00> : tensor<2xf64>, conn_delay = 0 : i64, latency = 0 : i64, dt = 1.000000e-04 : f64, readout = "spike"}
// CHECK-NEXT: nir.output "y" (%spinnaker2) : tensor<2xf32>

// conn-delay=1: the feed-forward projection delivers one step later (latency 1), the
// recurrent one still one step after its spike.
// DELAY: {name = "fa", {{.*}} delay = dense<1> : tensor<2xi64>}, {name = "ra", {{.*}} delay = dense<1> : tensor<2xi64>}]
// DELAY-SAME: conn_delay = 1 : i64, latency = 1 : i64
