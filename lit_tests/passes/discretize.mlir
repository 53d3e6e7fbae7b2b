// discretize: nir neurons, delays and thresholds become snn ops with per-step
// coefficients (float64, materialized to the neuron shape); other ops are unchanged
// and the options are recorded on the module.
//
// RUN: nirc opt %s -p discretize | filecheck %s --check-prefixes=CHECK,EULER
// RUN: nirc opt %s -p discretize --generic | nirc opt - | filecheck %s --check-prefixes=CHECK,EULER
// RUN: nirc opt %s -p discretize,discretize | filecheck %s --check-prefixes=CHECK,EULER
// RUN: nirc opt %s -p 'discretize{dt=1.0e-4 method=exact reset=subtract v-init=leak current=previous}' | filecheck %s --check-prefixes=CHECK,EXACT
// RUN: nirc opt %s -p 'discretize{dt=1e-4 method=exact reset=subtract v_init=leak current=previous}' | filecheck %s --check-prefixes=CHECK,EXACT
// RUN: nirc opt %s -p 'discretize{dt=4.0e-4 round-delays=true}' | filecheck %s --check-prefix=ROUND
// RUN: nirc opt %s -p 'discretize{dt=1.0e-3 round-delays=true}' 2>&1 >/dev/null | filecheck %s --check-prefix=WARN
// RUN: not nirc opt %s -p 'discretize{dt=2.0e-4}' 2>&1 | filecheck %s --check-prefix=DELAY
// RUN: not nirc opt %s -p 'discretize{dt=0}' 2>&1 | filecheck %s --check-prefix=DT0
// RUN: not nirc opt %s -p 'discretize{dt=-1.0e-4}' 2>&1 | filecheck %s --check-prefix=DTNEG
// RUN: not nirc opt %s -p 'discretize{method=rk4}' 2>&1 | filecheck %s --check-prefix=METHOD
// RUN: not nirc opt %s -p 'discretize,discretize{method=exact}' 2>&1 | filecheck %s --check-prefix=AGAIN
// RUN: not nirc opt %s -p 'discretize{dt}' 2>&1 | filecheck %s --check-prefix=USAGE

builtin.module {
  nir.graph {
    %x = nir.input "x" : tensor<2xf32>
    %li = nir.li "li" (%x) {tau = dense<1.0e-3> : tensor<f64>, r = dense<[1.0, 2.0]> : tensor<2xf64>, v_leak = dense<0.5> : tensor<f64>} : tensor<2xf32> -> tensor<2xf32>
    %lif = nir.lif "lif" (%li, %lif) {tau = dense<1.0e-3> : tensor<2xf64>, r = dense<1.0> : tensor<2xf64>, v_leak = dense<0.0> : tensor<2xf64>, v_threshold = dense<1.0> : tensor<2xf64>, v_reset = dense<-0.25> : tensor<2xf64>, metadata = {note = "kept"}} : tensor<2xf32> -> tensor<2xf32>
    %cli = nir.cuba_li "cli" (%lif) {tau_syn = dense<5.0e-4> : tensor<2xf64>, tau_mem = dense<2.0e-3> : tensor<2xf64>, r = dense<1.0> : tensor<2xf64>, v_leak = dense<0.0> : tensor<2xf64>, w_in = dense<2.0> : tensor<2xf64>} : tensor<2xf32> -> tensor<2xf32>
    %clif = nir.cuba_lif "clif" (%cli) {tau_syn = dense<5.0e-4> : tensor<2xf64>, tau_mem = dense<2.0e-3> : tensor<2xf64>, r = dense<1.0> : tensor<2xf64>, v_leak = dense<-1.0> : tensor<2xf64>, v_threshold = dense<1.0> : tensor<2xf64>, v_reset = dense<0.0> : tensor<2xf64>, w_in = dense<2.0> : tensor<2xf64>} : tensor<2xf32> -> tensor<2xf32>
    %i = nir.i "i" (%clif) {r = dense<1.5> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
    %if = nir.if "if" (%i) {r = dense<1.5> : tensor<2xf32>, v_threshold = dense<1.0> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
    %th = nir.threshold "th" (%if) {threshold = dense<0.5> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
    %dl = nir.delay "dl" (%th) {delay = dense<[3.0e-4, 1.0e-3]> : tensor<2xf64>} : tensor<2xf32> -> tensor<2xf32>
    %sc = nir.scale "sc" (%dl) {scale = dense<2.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
    %sub = nir.graph "sub" (%sc) -> (tensor<2xf32>) attributes {in_ports = [""], out_ports = [""]} {
    ^bb0(%a: tensor<2xf32>):
      %in = nir.input "in" (%a) : tensor<2xf32> -> tensor<2xf32>
      %inner = nir.li "inner" (%in) {tau = dense<1.0e-3> : tensor<2xf64>, r = dense<1.0> : tensor<2xf64>, v_leak = dense<0.0> : tensor<2xf64>} : tensor<2xf32> -> tensor<2xf32>
      nir.output "out" (%inner) : tensor<2xf32>
    }
    nir.output "y" (%sub) : tensor<2xf32>
  }
}

// Hand calculations, dt = 1e-4 s:
//   LI/LIF tau = 1e-3:   dt/tau = 0.1;  euler decay 1 - 0.1 = 0.9, gain 0.1*r, bias 0.1*v_leak
//                        exact decay e^-0.1 = 1 - 0.1 + 0.005 - 0.00016667 + 0.0000041667 - ...
//                        = 0.904837418035959573, 1 - e^-0.1 = 0.095162581964040427
//                        (LI: gain [0.0951625819640404, 0.1903251639280809], bias 0.5*0.0951625819640404 = 0.0475812909820202)
//   Cuba tau_syn = 5e-4: dt/tau_syn = 0.2;  euler i_decay 0.8, i_gain 0.2*w_in = 0.4
//                        exact i_decay e^-0.2 = 0.818730753077981859, i_gain 2*(1 - e^-0.2) = 0.362538493844036283
//        tau_mem = 2e-3: dt/tau_mem = 0.05; euler v_decay 0.95, v_gain 0.05, bias 0.05*(-1) = -0.05
//                        exact e^-0.05 = 0.951229424500714009, 1 - e^-0.05 = 0.048770575499285991
//   I/IF: v_gain = r = 1.5 whatever dt;  Delay: 3e-4/1e-4 = 3 and 1e-3/1e-4 = 10 steps.

// The options are recorded on the module.
// EULER-LABEL: builtin.module attributes {nirc.dt = 1.000000e-04 : f64, nirc.method = "euler", nirc.reset = "value", nirc.v_init = "zero", nirc.current = "new"} {
// EXACT-LABEL: builtin.module attributes {nirc.dt = 1.000000e-04 : f64, nirc.method = "exact", nirc.reset = "subtract", nirc.v_init = "leak", nirc.current = "previous"} {

// CHECK-NEXT:  nir.graph {
// CHECK-NEXT:    %x = nir.input "x" : tensor<2xf32>
// EULER-NEXT:    %li = snn.li "li" (%x) {v_decay = dense<9.000000e-01> : tensor<2xf64>, v_gain = dense<[1.000000e-01, 2.000000e-01]> : tensor<2xf64>, v_bias = dense<5.000000e-02> : tensor<2xf64>, v_init = dense<0.000000e+00> : tensor<2xf64>} : tensor<2xf32> -> tensor<2xf32>
// EXACT-NEXT:    %li = snn.li "li" (%x) {v_decay = dense<0.904837418035959{{[0-9]*}}> : tensor<2xf64>, v_gain = dense<[0.0951625819640404{{[0-9]*}}, 0.190325163928080{{[0-9]*}}]> : tensor<2xf64>, v_bias = dense<0.0475812909820202{{[0-9]*}}> : tensor<2xf64>, v_init = dense<5.000000e-01> : tensor<2xf64>} : tensor<2xf32> -> tensor<2xf32>
// EULER-NEXT:    %lif = snn.lif "lif" (%li, %lif) {v_decay = dense<9.000000e-01> : tensor<2xf64>, v_gain = dense<1.000000e-01> : tensor<2xf64>, v_bias = dense<0.000000e+00> : tensor<2xf64>, v_init = dense<0.000000e+00> : tensor<2xf64>, v_threshold = dense<1.000000e+00> : tensor<2xf64>, v_reset = dense<-2.500000e-01> : tensor<2xf64>, reset = "value", metadata = {note = "kept"}} : tensor<2xf32> -> tensor<2xf32>
// EXACT-NEXT:    %lif = snn.lif "lif" (%li, %lif) {v_decay = dense<0.904837418035959{{[0-9]*}}> : tensor<2xf64>, v_gain = dense<0.0951625819640404{{[0-9]*}}> : tensor<2xf64>, v_bias = dense<0.000000e+00> : tensor<2xf64>, v_init = dense<0.000000e+00> : tensor<2xf64>, v_threshold = dense<1.000000e+00> : tensor<2xf64>, v_reset = dense<-2.500000e-01> : tensor<2xf64>, reset = "subtract", metadata = {note = "kept"}} : tensor<2xf32> -> tensor<2xf32>
// EULER-NEXT:    %cli = snn.cuba_li "cli" (%lif) {i_decay = dense<8.000000e-01> : tensor<2xf64>, i_gain = dense<4.000000e-01> : tensor<2xf64>, v_decay = dense<9.500000e-01> : tensor<2xf64>, v_gain = dense<5.000000e-02> : tensor<2xf64>, v_bias = dense<0.000000e+00> : tensor<2xf64>, v_init = dense<0.000000e+00> : tensor<2xf64>, current = "new"} : tensor<2xf32> -> tensor<2xf32>
// EXACT-NEXT:    %cli = snn.cuba_li "cli" (%lif) {i_decay = dense<0.818730753077981{{[0-9]*}}> : tensor<2xf64>, i_gain = dense<0.362538493844036{{[0-9]*}}> : tensor<2xf64>, v_decay = dense<0.951229424500714{{[0-9]*}}> : tensor<2xf64>, v_gain = dense<0.0487705754992859{{[0-9]*}}> : tensor<2xf64>, v_bias = dense<0.000000e+00> : tensor<2xf64>, v_init = dense<0.000000e+00> : tensor<2xf64>, current = "previous"} : tensor<2xf32> -> tensor<2xf32>
// EULER-NEXT:    %clif = snn.cuba_lif "clif" (%cli) {i_decay = dense<8.000000e-01> : tensor<2xf64>, i_gain = dense<4.000000e-01> : tensor<2xf64>, v_decay = dense<9.500000e-01> : tensor<2xf64>, v_gain = dense<5.000000e-02> : tensor<2xf64>, v_bias = dense<-5.000000e-02> : tensor<2xf64>, v_init = dense<0.000000e+00> : tensor<2xf64>, v_threshold = dense<1.000000e+00> : tensor<2xf64>, v_reset = dense<0.000000e+00> : tensor<2xf64>, current = "new", reset = "value"} : tensor<2xf32> -> tensor<2xf32>
// EXACT-NEXT:    %clif = snn.cuba_lif "clif" (%cli) {i_decay = dense<0.818730753077981{{[0-9]*}}> : tensor<2xf64>, i_gain = dense<0.362538493844036{{[0-9]*}}> : tensor<2xf64>, v_decay = dense<0.951229424500714{{[0-9]*}}> : tensor<2xf64>, v_gain = dense<0.0487705754992859{{[0-9]*}}> : tensor<2xf64>, v_bias = dense<-0.0487705754992859{{[0-9]*}}> : tensor<2xf64>, v_init = dense<-1.000000e+00> : tensor<2xf64>, v_threshold = dense<1.000000e+00> : tensor<2xf64>, v_reset = dense<0.000000e+00> : tensor<2xf64>, current = "previous", reset = "subtract"} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    %i = snn.i "i" (%clif) {v_gain = dense<1.500000e+00> : tensor<2xf64>, v_init = dense<0.000000e+00> : tensor<2xf64>} : tensor<2xf32> -> tensor<2xf32>
// EULER-NEXT:    %if = snn.if "if" (%i) {v_gain = dense<1.500000e+00> : tensor<2xf64>, v_init = dense<0.000000e+00> : tensor<2xf64>, v_threshold = dense<1.000000e+00> : tensor<2xf64>, v_reset = dense<0.000000e+00> : tensor<2xf64>, reset = "value"} : tensor<2xf32> -> tensor<2xf32>
// EXACT-NEXT:    %if = snn.if "if" (%i) {v_gain = dense<1.500000e+00> : tensor<2xf64>, v_init = dense<0.000000e+00> : tensor<2xf64>, v_threshold = dense<1.000000e+00> : tensor<2xf64>, v_reset = dense<0.000000e+00> : tensor<2xf64>, reset = "subtract"} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    %th = snn.threshold "th" (%if) {threshold = dense<5.000000e-01> : tensor<2xf64>} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    %dl = snn.delay "dl" (%th) {steps = dense<[3, 10]> : tensor<2xi64>} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    %sc = nir.scale "sc" (%dl) {scale = dense<2.000000e+00> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    %sub = nir.graph "sub" (%sc) -> (tensor<2xf32>) attributes {in_ports = [""], out_ports = [""]} {
// CHECK-NEXT:    ^bb0(%a: tensor<2xf32>):
// CHECK-NEXT:      %in = nir.input "in" (%a) : tensor<2xf32> -> tensor<2xf32>
// EULER-NEXT:      %inner = snn.li "inner" (%in) {v_decay = dense<9.000000e-01> : tensor<2xf64>, v_gain = dense<1.000000e-01> : tensor<2xf64>, v_bias = dense<0.000000e+00> : tensor<2xf64>, v_init = dense<0.000000e+00> : tensor<2xf64>} : tensor<2xf32> -> tensor<2xf32>
// EXACT-NEXT:      %inner = snn.li "inner" (%in) {v_decay = dense<0.904837418035959{{[0-9]*}}> : tensor<2xf64>, v_gain = dense<0.0951625819640404{{[0-9]*}}> : tensor<2xf64>, v_bias = dense<0.000000e+00> : tensor<2xf64>, v_init = dense<0.000000e+00> : tensor<2xf64>} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:      nir.output "out" (%inner) : tensor<2xf32>
// CHECK-NEXT:    }
// CHECK-NEXT:    nir.output "y" (%sub) : tensor<2xf32>
// CHECK-NEXT:  }
// CHECK-NEXT: }

// dt = 4e-4 with rounding: 3e-4/4e-4 = 0.75 -> 1 step, 1e-3/4e-4 = 2.5 -> 2 (ties to even).
// ROUND: builtin.module attributes {nirc.dt = 4.000000e-04 : f64, nirc.method = "euler"
// ROUND: snn.delay "dl" (%th) {steps = dense<[1, 2]> : tensor<2xi64>}

// dt = 1e-3 > tau_syn = 5e-4: euler decay 1 - 2 = -1 (a warning, not an error); tau = 1e-3 = dt is fine.
// WARN-NOT: field 'tau'
// WARN: warning: {{.*}}discretize.mlir: discretize: node 'cli' (CubaLI), field 'tau_syn': dt=0.001 s > tau_syn=0.0005 s, so forward Euler gives a negative decay -1
// WARN-NEXT: warning: {{.*}}discretize.mlir: discretize: node 'clif' (CubaLIF), field 'tau_syn': dt=0.001 s > tau_syn=0.0005 s
// WARN-NOT: warning

// DELAY: error: {{.*}}discretize.mlir: node 'dl', field 'delay': a Delay of 0.0003 s is 1.5 steps of dt=0.0002 s, not a whole number of steps (within 1e-06 relative); pass round-delays=true to round it
// DT0: error: {{.*}}discretize.mlir: discretize: option dt must be a finite number of seconds > 0, found 0{{$}}
// DTNEG: error: {{.*}}discretize.mlir: discretize: option dt must be a finite number of seconds > 0, found -0.0001{{$}}
// METHOD: error: {{.*}}discretize.mlir: discretize: option method must be one of euler, exact, exp-euler, found 'rk4'
// AGAIN: error: {{.*}}discretize.mlir: discretize: module already discretized with dt=0.0001 method=euler reset=value v_init=zero current=new; cannot discretize it again with dt=0.0001 method=exact reset=value v_init=zero current=new
// USAGE: Error: invalid pass pipeline 'discretize{dt}'
