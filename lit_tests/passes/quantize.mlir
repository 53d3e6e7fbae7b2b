// quantize: snn.layer ops (after discretize and fuse) get integer weights and a
// qsnn.neuron in the generic target's arithmetic (8-bit weights, 16-bit state and
// thresholds, 12 decay bits, floor rounding, saturation).
//
// RUN: nirc opt %s -p 'quantize{check-steps=0}' | filecheck %s --check-prefixes=CHECK,CHAN
// RUN: nirc opt %s -p 'quantize{check-steps=0 per-channel=false}' | filecheck %s --check-prefixes=CHECK,TENSOR
// RUN: nirc opt %s -p 'quantize{check-steps=0}' --generic | nirc opt - | filecheck %s --check-prefixes=CHECK,CHAN
// Bias correction, calibrated on all-ones input (check-rate=1.0, so the mean input is [1, 1]):
// RUN: nirc opt %s -p 'quantize{check-steps=0 bias-correction=true check-rate=1.0}' | filecheck %s --check-prefix=BC
// RUN: not nirc opt %s -p 'quantize{check-steps=0 bias-correction=true calibration-steps=0}' 2>&1 | filecheck %s --check-prefix=NOCAL
// RUN: not nirc opt %s -p 'quantize{check-steps=0},quantize{check-steps=0}' 2>&1 | filecheck %s --check-prefix=TWICE
// RUN: not nirc opt %s -p 'quantize{weight-bits=17}' 2>&1 | filecheck %s --check-prefix=BITS
// A neuron outside any layer (the module below, in LOOSEIR comments: discretized, not fused):
// RUN: sed -n 's|^// LOOSEIR: ||p' %s | not nirc opt - -p 'quantize{check-steps=0}' 2>&1 | filecheck %s --check-prefix=LOOSE

builtin.module attributes {nirc.dt = 1.000000e-04 : f64, nirc.method = "euler", nirc.reset = "value", nirc.v_init = "zero", nirc.current = "new"} {
  nir.graph {
    %x = nir.input "x" : tensor<2xf32>
    %n = snn.layer "n" (%x) -> (tensor<2xf32>) {
    ^bb0(%x_1: tensor<2xf32>):
      %fc = nir.linear "fc" (%x_1) {weight = dense<[[4.000000e-01, -3.000000e-01], [1.000000e+00, 1.000000e-01]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
      %n_1 = snn.lif "n" (%fc) {v_decay = dense<5.000000e-01> : tensor<2xf64>, v_gain = dense<1.000000e+00> : tensor<2xf64>, v_bias = dense<1.250000e-01> : tensor<2xf64>, v_init = dense<0.000000e+00> : tensor<2xf64>, v_threshold = dense<1.000000e+00> : tensor<2xf64>, v_reset = dense<-2.500000e-01> : tensor<2xf64>, reset = "subtract"} : tensor<2xf32> -> tensor<2xf32>
    }
    nir.output "y" (%n) : tensor<2xf32>
  }
}

// Hand calculation (gain g = v_gain = 1; threshold/state limit 2**(16-3) = 8192):
//   per-channel: q0 = 0.4/127, q1 = 1/127
//     weights: [0.4, -0.3]/q0 = [127, -95.25 -> -95];  [1.0, 0.1]/q1 = [127, 12.7 -> 13]
//     shift: max |threshold, reset, bias| / (g q) = 1/q0 = 317.5; 317.5 * 16 = 5080 <= 8192
//     < 317.5 * 32, so s = 4; unit = q / 16 = [1/5080, 1/2032]
//     v_threshold = [5080, 2032], v_reset = -0.25 * that = [-1270, -508],
//     v_bias = 0.125 * that = [635, 254]
//   per-tensor: q = 1/127: weights [0.4, -0.3] * 127 = [50.8 -> 51, -38.1 -> -38], [127, 13]
//     1/q = 127; 127 * 64 = 8128 <= 8192 < 127 * 128, so s = 6; unit = 1/8128
//     v_threshold = 8128, v_reset = -2032, v_bias = 1016
//   v_decay = 0.5 * 4096 = 2048; i_decay (no current) = 4096 (exactly 1).
//   bias correction (per-channel, mean input m = [1, 1]): drift = W m / q - Wq m in weight
//     LSBs: (127 - 95.25) - (127 - 95) = -0.25 and (127 + 12.7) - (127 + 13) = -0.3; times
//     2**s = 16: -4 and -4.8 state LSBs, so v_bias = round([635 - 4, 254 - 4.8]) = [631, 249]

// CHECK:       builtin.module attributes {{{.*}}nirc.quantize = {target = "generic", weight_bits = 8 : i64, scheme = "symmetric",
// CHAN-SAME:   granularity = "per-channel", bias_correction = "none"}
// TENSOR-SAME: granularity = "per-tensor", bias_correction = "none"}
// CHECK:       %n = snn.layer "n" (%x) -> (tensor<2xf32>) attributes {quant = {weight_bits = 8 : i64, scheme = "symmetric",
// CHAN:        %fc = nir.linear "fc" (%x_1) {weight = dense<{{\[\[}}127, -95], [127, 13]]> : tensor<2x2xi8>}
// TENSOR:      %fc = nir.linear "fc" (%x_1) {weight = dense<{{\[\[}}51, -38], [127, 13]]> : tensor<2x2xi8>}
// CHECK-NEXT:  %n_1 = qsnn.neuron "n" (%fc) {i_decay = dense<4096> : tensor<2xi64>, v_decay = dense<2048> : tensor<2xi64>,
// CHAN-SAME:   v_bias = dense<[635, 254]> : tensor<2xi64>, v_threshold = dense<[5080, 2032]> : tensor<2xi64>, v_reset = dense<[-1270, -508]> : tensor<2xi64>, v_init = dense<0> : tensor<2xi64>
// TENSOR-SAME: v_bias = dense<1016> : tensor<2xi64>, v_threshold = dense<8128> : tensor<2xi64>, v_reset = dense<-2032> : tensor<2xi64>, v_init = dense<0> : tensor<2xi64>
// CHAN-SAME:   decay_bits = 12 : i64, state_bits = 16 : i64, input_shift = 4 : i64, current = "none", reset = "subtract", spiking = "spike", rounding = "floor", overflow = "saturate"}
// TENSOR-SAME: decay_bits = 12 : i64, state_bits = 16 : i64, input_shift = 6 : i64, current = "none", reset = "subtract", spiking = "spike", rounding = "floor", overflow = "saturate"}

// BC:          nirc.quantize = {{{.*}}bias_correction = "calibrated"}
// BC:          %n = snn.layer "n" {{.*}}sqnr_db = {{.*}}, bias_correction = "calibrated"}
// BC:          qsnn.neuron "n" {{.*}}v_bias = dense<[631, 249]> : tensor<2xi64>, v_threshold = dense<[5080, 2032]>
// NOCAL: error: {{.*}}bias-correction calibrates on generated input: calibration-steps and calibration-batch must be > 0
// TWICE: error: {{.*}}node 'n': the layer is already quantized
// BITS: error: {{.*}}weight-bits must be in 2..16, found 17
// LOOSE: error: {{.*}}node 'm': 'snn.lif' is not part of an snn.layer and has no integer form (run 'fuse' first

// LOOSEIR: builtin.module attributes {nirc.dt = 1.000000e-04 : f64} {
// LOOSEIR:   nir.graph {
// LOOSEIR:     %x = nir.input "x" : tensor<2xf32>
// LOOSEIR:     %m = snn.lif "m" (%x) {v_decay = dense<5.000000e-01> : tensor<2xf64>, v_gain = dense<1.000000e+00> : tensor<2xf64>, v_bias = dense<0.000000e+00> : tensor<2xf64>, v_init = dense<0.000000e+00> : tensor<2xf64>, v_threshold = dense<1.000000e+00> : tensor<2xf64>, v_reset = dense<0.000000e+00> : tensor<2xf64>, reset = "value"} : tensor<2xf32> -> tensor<2xf32>
// LOOSEIR:     nir.output "y" (%m) : tensor<2xf32>
// LOOSEIR:   }
// LOOSEIR: }
