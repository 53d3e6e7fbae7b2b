// partition: the neurons of every snn.layer go to cores within the resource model;
// each layer gets `cores` rows [start, stop, core] and the module `nirc.partition`.
//
// RUN: nirc opt %s -p 'partition{neurons-per-core=2}' | filecheck %s
// RUN: nirc opt %s -p 'partition{neurons-per-core=2}' --generic | nirc opt - | filecheck %s
// RUN: not nirc opt %s -p 'partition{neurons-per-core=2 cores=1}' 2>&1 | filecheck %s --check-prefix=FIT

builtin.module attributes {nirc.dt = 1.000000e-04 : f64, nirc.method = "euler", nirc.reset = "value", nirc.v_init = "zero", nirc.current = "new"} {
  nir.graph {
    %x = nir.input "x" : tensor<2xf32>
    %a = snn.layer "a" (%x) -> (tensor<3xf32>) {
    ^bb0(%x_1: tensor<2xf32>):
      %fa = nir.linear "fa" (%x_1) {weight = dense<[[1.000000e+00, 0.000000e+00], [0.000000e+00, 1.000000e+00], [1.000000e+00, 1.000000e+00]]> : tensor<3x2xf32>} : tensor<2xf32> -> tensor<3xf32>
      %a_1 = snn.if "a" (%fa) {v_gain = dense<1.000000e+00> : tensor<3xf64>, v_init = dense<0.000000e+00> : tensor<3xf64>, v_threshold = dense<1.000000e+00> : tensor<3xf64>, v_reset = dense<0.000000e+00> : tensor<3xf64>, reset = "value"} : tensor<3xf32> -> tensor<3xf32>
    }
    %b = snn.layer "b" (%a) -> (tensor<2xf32>) {
    ^bb0(%a_2: tensor<3xf32>):
      %fb = nir.linear "fb" (%a_2) {weight = dense<[[1.000000e+00, 1.000000e+00, 0.000000e+00], [0.000000e+00, 1.000000e+00, 1.000000e+00]]> : tensor<2x3xf32>} : tensor<3xf32> -> tensor<2xf32>
      %b_1 = snn.if "b" (%fb) {v_gain = dense<1.000000e+00> : tensor<2xf64>, v_init = dense<0.000000e+00> : tensor<2xf64>, v_threshold = dense<1.000000e+00> : tensor<2xf64>, v_reset = dense<0.000000e+00> : tensor<2xf64>, reset = "value"} : tensor<2xf32> -> tensor<2xf32>
    }
    nir.output "y" (%b) : tensor<2xf32>
  }
}

// 3 + 2 = 5 neurons at 2 per core: at least ceil(5/2) = 3 cores, and 3 suffice.
// CHECK:      builtin.module attributes {{{.*}}nirc.partition = {target = "generic", cores_used = 3 : i64, lower_bound_cores = 3 : i64, traffic = {{.*}}, neurons_per_core = 2 : i64, synapses_per_core = 65536 : i64}} {
// Every neuron on exactly one core, no core above 2 neurons (core 0: a[0], b[0];
// core 1: a[1]; core 2: a[2], b[1]):
// CHECK:      %a = snn.layer "a" (%x) -> (tensor<3xf32>) attributes {cores = dense<{{\[\[}}0, 1, 0], [1, 2, 1], [2, 3, 2]]> : tensor<3x3xi64>} {
// CHECK:      %b = snn.layer "b" (%a) -> (tensor<2xf32>) attributes {cores = dense<{{\[\[}}0, 1, 0], [1, 2, 2]]> : tensor<2x3xi64>} {

// FIT: error: {{.*}}partition.mlir: field 'cores': needs at least 3 cores for 5 neurons at 2 per core (neurons_per_core), the target has 1 (1 cores x 1 chips){{$}}
// FIT-NOT: Traceback
