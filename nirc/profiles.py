"""Simulator profiles: the conventions another simulator applies to a NIR graph, by name.

NIR 1.0.8 fixes neither the time step, the integration method, the reset, the spike
rule nor the synaptic delays, so one file behaves differently in every tool.  A
profile is a named bundle of ``discretize`` options that reproduces one tool's
behaviour; options given explicitly override the profile's (``--profile lava --dt
1e-3``).  docs/conventions.md has the table with the source of every entry; the
sources are read from the tools' code (versions named) and, where a published trace
exists (the NIR paper's lif_*.csv), checked against it (tests/test_conventions.py).

``voltage_scale`` is the factor between nirc's v and the tool's recorded membrane for
the same graph (snnTorch divides its threshold by r*dt/tau instead of scaling the
input; Nengo's LIF gain is 1/v_threshold); it matters only when comparing traces.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .diagnostics import NircError


@dataclass(frozen=True)
class Profile:
    name: str
    options: dict
    """discretize options (python names: dt, method, reset, spikes, ...)."""
    summary: str
    dt_handling: str
    """Where the tool's time step comes from when it reads a NIR graph."""
    sources: tuple[str, ...] = ()
    voltage_scale: str = "1"
    notes: tuple[str, ...] = field(default_factory=tuple)


PROFILES: dict[str, Profile] = {p.name: p for p in (
    Profile("nir", {}, "NIR's semantics as nirc fixes them (../shared/docs/semantics.md): "
            "forward Euler, reset to v_reset, one spike per step, v > threshold, no synaptic delay",
            "given (--dt), default 1e-4 s (the NIR paper's files encode it in r = tau/dt)"),
    Profile("norse", {"method": "euler", "reset": "value", "current": "new"},
            "Norse: forward Euler, the membrane uses this step's synaptic current, reset to "
            "v_reset, v > threshold",
            "norse.from_nir(graph, dt=...), default dt = 1e-3 s: pass --dt for the file's",
            ("norse 1.1.0 torch/functional/lif.py (lif_feed_forward_step), torch/utils/import_nir.py",),
            notes=("Norse ignores r of LIF (it warns), so graphs with r != 1 differ there.",)),
    Profile("snntorch", {"dt": 1e-4, "method": "euler", "reset": "subtract",
                         "firing": "delayed-reset", "loop_start": "rest"},
            "snnTorch's neurons as they train (Leaky/Synaptic/RLeaky/RSynaptic defaults): "
            "forward Euler at dt = 1e-4, reset by subtraction one step late and undecayed "
            "(reset_delay=True), v > threshold, the recurrent Linear applied to the zero "
            "spikes before step 0 (its bias arrives at step 0)",
            "fixed: export_to_nir and import_from_nir assume dt = 1e-4 s (r = tau/dt)",
            ("snntorch 0.9 _neurons/leaky.py (reset_mechanism='subtract', reset_delay=True, "
             "mem = beta*mem + input - reset*threshold)",
             "snntorch 1.0 _neurons/rsynaptic.py (syn = alpha*syn + input + recurrent(spk), "
             "spk = 0 at the start)", "snntorch 0.9 export_nir.py (dt = 1e-4, "
             "v_reset = 0 whatever the reset: the reset is lost in the file)"),
            voltage_scale="1 / (r*dt/tau) (snnTorch divides the threshold by it)"),
    Profile("snntorch-import", {"dt": 1e-4, "method": "euler", "reset": "value"},
            "what snntorch.import_from_nir builds from a NIR file: Leaky/Synaptic with "
            "reset_mechanism='zero', reset_delay=False at dt = 1e-4 (NIR's own semantics)",
            "fixed: dt = 1e-4 s",
            ("snntorch 0.9 import_nir.py (_nir_to_snntorch_module)",),
            voltage_scale="1 / (r*dt/tau)"),
    Profile("lava", {"method": "euler", "reset": "value", "synapse_delay": 1},
            "Lava (float and fixed point, and Loihi): forward Euler decays, reset to 0, "
            "v > threshold, every Dense/Conv delivers one step late",
            "lava-dl netx / the NIR paper's nir_to_lava: ImportConfig(dt=...)",
            ("lava-nc 0.10.0 proc/lif/models.py (PyLifModelFloat: u = u*(1-du) + a_in, "
             "v = v*(1-dv) + u + bias, s = v > vth, v = 0)",
             "lava-nc 0.10.0 proc/dense/models.py (a_out sends a_buff, the previous step's "
             "accumulation)")),
    Profile("spyx", {"method": "euler", "reset": "subtract", "firing": "late"},
            "Spyx: forward Euler, the spike of step t is the threshold test of v[t-1] "
            "(v > threshold) and the threshold is subtracted then",
            "spyx.nir.from_nir(graph, ..., dt=...)",
            ("spyx nn.py LIF.__call__ (spikes = heaviside(V - threshold); V = beta*V + x - "
             "spikes*threshold), axn.py heaviside (x > 0)",),
            notes=("Spyx's CuBaLIF subtracts before the decay (V = beta*(V - s*thr) + I); "
                   "nirc's late rule subtracts after it, as Spyx's LIF does.",)),
    Profile("rockpool", {"method": "exp-euler", "reset": "subtract", "spikes": "multi",
                         "max_spikes": 65536, "spike_test": "ge"},
            "Rockpool: exact decays exp(-dt/tau) with the input added undamped (an input "
            "scaled by dt/tau is Euler's gain), several spikes per step floor(v/thr) for "
            "v >= thr (at most 2**16), reset by subtraction",
            "from_nir infers dt = min(tau_mem / (1 + r)); its own modules take dt=...",
            ("rockpool 3.0 nn/modules/torch/lif_neuron_torch.py (vmem *= alpha; vmem += "
             "input + bias; StepPWL: floor(x/thr) for x >= thr; vmem -= spikes*threshold)",
             "rockpool 3.0 nn/modules/torch/lif_torch.py (LIFTorch, max_spikes_per_dt = 2**16)"),
            notes=("Rockpool's LIFTorch adds the input to i_syn before decaying it "
                   "(i = beta*(i + x)); nirc's current decays before the input is added.",)),
    Profile("sinabs", {"method": "exp-euler", "reset": "subtract", "spikes": "multi",
                       "spike_test": "ge", "v_min": "if-neg-threshold"},
            "Sinabs (and Speck): IF/LIF with several spikes per step trunc(v/thr) for "
            "v > 0 (so v >= thr fires), reset by subtraction, IF clamped at -v_threshold, "
            "exact leak with the input added undamped",
            "none for IF (no time constant); LIF tau_mem counts steps",
            ("sinabs 3.1.3 activation/spike_generation.py (MultiSpike)",
             "sinabs 3.1.3 activation/reset_mechanism.py (MembraneSubtract)",
             "sinabs 3.1.3 nir.py (IF -> IAFSqueeze(min_v_mem=-v_threshold); r, v_reset ignored)",
             "sinabs 3.1.3 layers/functional/lif.py (v = alpha*v + x; clamp at min_v_mem; spike; reset)")),
    Profile("spinnaker2", {"method": "euler", "reset": "value", "synapse_delay": 1},
            "SpiNNaker2 through py-spinnaker2's s2_nir defaults: forward Euler, reset to "
            "v_reset, each projection delivers one step late (conn_delay=1)",
            "s2_nir ConversionConfig(dt=...)",
            ("../shared/docs/targets.md (SpiNNaker2: s2_nir ConversionConfig integrator "
             "FORWARD, conn_delay 1)",)),
    Profile("nengo", {"method": "exact", "reset": "value", "v_min": "zero"},
            "Nengo's LIF: the exact exponential, reset to 0, voltage clipped at 0 from below",
            "nengo.Simulator(dt=...), default 1e-3 s",
            ("nengo 4 neurons.py (LIF.step: voltage -= (J - voltage)*expm1(-dt/tau_rc); "
             "min_voltage = 0; spiked: voltage > 1)",),
            voltage_scale="1 / v_threshold (the NIR paper's script sets gain = 1/v_threshold)",
            notes=("Nengo also integrates only the part of a step after a spike (sub-step "
                   "refractory time); nirc resets for the whole step.",)),
)}


def profile_options(name: str | None) -> dict:
    """The discretize options of profile ``name`` (``{}`` for None)."""
    if name is None:
        return {}
    profile = PROFILES.get(name)
    if profile is None:
        raise NircError(f"unknown profile '{name}' (profiles: {', '.join(PROFILES)})")
    return dict(profile.options)
