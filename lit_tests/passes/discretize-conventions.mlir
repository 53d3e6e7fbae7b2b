// discretize's spiking conventions (docs/conventions.md): each is a property of the spiking
// snn ops only where it differs from nirc's default, and recorded on the module likewise;
// a profile is a bundle of them, and explicit options override it.
//
// RUN: nirc opt %s -p 'discretize{spikes=multi max-spikes=31 spike-test=ge firing=late v-min=neg-threshold}' | filecheck %s --check-prefix=ALL
// RUN: nirc opt %s -p 'discretize{spikes=multi max-spikes=31 spike-test=ge firing=late v-min=neg-threshold}' --generic | nirc opt - | filecheck %s --check-prefix=ALL
// RUN: nirc opt %s -p discretize | filecheck %s --check-prefix=DEFAULT
// RUN: nirc opt %s -p 'discretize{profile=lava}' | filecheck %s --check-prefix=LAVA
// RUN: nirc opt %s -p discretize --profile snntorch | filecheck %s --check-prefix=SNNTORCH
// RUN: nirc opt %s -p 'discretize{profile=sinabs}' | filecheck %s --check-prefix=SINABS
// RUN: nirc opt %s -p 'discretize{profile=lava synapse-delay=0}' | filecheck %s --check-prefix=OVERRIDE
// RUN: not nirc opt %s -p 'discretize{max-spikes=3}' 2>&1 | filecheck %s --check-prefix=CAP
// RUN: not nirc opt %s -p 'discretize{firing=soon}' 2>&1 | filecheck %s --check-prefix=FIRING
// RUN: not nirc opt %s -p 'discretize{profile=brian2}' 2>&1 | filecheck %s --check-prefix=PROFILE
// RUN: not nirc opt %s -p 'discretize{synapse-delay=2}' 2>&1 | filecheck %s --check-prefix=DELAY

builtin.module {
  nir.graph {
    %x = nir.input "x" : tensor<2xf32>
    %lif = nir.lif "lif" (%x) {tau = dense<1.0e-3> : tensor<2xf64>, r = dense<1.0> : tensor<2xf64>, v_leak = dense<0.0> : tensor<2xf64>, v_threshold = dense<[1.0, 2.0]> : tensor<2xf64>, v_reset = dense<0.0> : tensor<2xf64>} : tensor<2xf32> -> tensor<2xf32>
    %if = nir.if "if" (%lif) {r = dense<1.0> : tensor<2xf32>, v_threshold = dense<0.5> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
    nir.output "y" (%if) : tensor<2xf32>
  }
}

// ALL: builtin.module attributes {nirc.dt = 1.000000e-04 : f64, nirc.method = "euler", nirc.reset = "value", nirc.v_init = "zero", nirc.current = "new", nirc.spikes = "multi", nirc.max_spikes = 31 : i64, nirc.spike_test = "ge", nirc.firing = "late", nirc.v_min = "neg-threshold"}
// ALL: snn.lif "lif" {{.*}}v_min = dense<[-1.000000e+00, -2.000000e+00]> : tensor<2xf64>, reset = "value", max_spikes = 31 : i64, spike_test = "ge", firing = "late"}
// ALL: snn.if "if" {{.*}}v_min = dense<-5.000000e-01> : tensor<2xf64>, reset = "value", max_spikes = 31 : i64, spike_test = "ge", firing = "late"}

// DEFAULT: builtin.module attributes {nirc.dt = 1.000000e-04 : f64, nirc.method = "euler", nirc.reset = "value", nirc.v_init = "zero", nirc.current = "new"}
// DEFAULT: snn.lif "lif" {{.*}}reset = "value"}
// DEFAULT-NOT: max_spikes

// LAVA: nirc.synapse_delay = 1 : i64

// SNNTORCH: nirc.reset = "subtract", {{.*}}nirc.firing = "delayed-reset", nirc.loop_start = "rest"
// SNNTORCH: snn.lif "lif" {{.*}}reset = "subtract", firing = "delayed-reset"}

// sinabs: exp(-0.1) decay with Euler's gain 0.1; multi-spike, >=; only the IF is bounded below
// SINABS: nirc.method = "exp-euler", nirc.reset = "subtract", {{.*}}nirc.spikes = "multi", nirc.spike_test = "ge", nirc.v_min = "if-neg-threshold"
// SINABS: snn.lif "lif" {{.*}}v_decay = dense<0.9048374180359595{{[0-9]*}}> : tensor<2xf64>, v_gain = dense<1.000000e-01> : tensor<2xf64>{{.*}}v_reset = dense<0.000000e+00> : tensor<2xf64>, reset = "subtract", max_spikes = 0 : i64, spike_test = "ge"}
// SINABS: snn.if "if" {{.*}}v_min = dense<-5.000000e-01> : tensor<2xf64>, reset = "subtract", max_spikes = 0 : i64, spike_test = "ge"}

// OVERRIDE-NOT: synapse_delay

// CAP: error: {{.*}}option max-spikes caps spikes=multi; it has no meaning with spikes=single
// FIRING: error: {{.*}}option firing must be one of immediate, delayed-reset, late, found 'soon'
// PROFILE: error: {{.*}}unknown profile 'brian2' (profiles: nir, norse, snntorch, snntorch-import, lava, spyx, rockpool, sinabs, spinnaker2, nengo)
// DELAY: error: {{.*}}option synapse-delay must be an integer in 0..1, found 2
