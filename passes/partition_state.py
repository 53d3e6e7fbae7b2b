"""The partition solver's search state: atoms on k cores with exact move gains.

``_State`` holds, for an assignment of atoms to cores, the per-net core counts (from
which the Fiduccia-Mattheyses gain of any move is exact), the per-core neurons,
synapse entries and SOPs, layer presence and destination counts, and makes or
evaluates moves and swaps within the limits; passes/partition_solver.py builds the
atoms and nets (``_hypergraph``, with ``_atoms``' lookups) and drives the search.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .partition_solver import _Problem

_EPS = 1e-9


class _State:
    """Atoms on k cores: per-net core counts cnt[net, core] (exact move gains), per-core
    neurons N, entries E, SOPs S, layer presence, and destination counts D[c, c'].

    Cheap inner steps, each computing the same floating-point expressions on the same
    values as the plain formulas in the comments (so the partitions do not depend on
    them): Z = (cnt == 0) as floats is kept up to date beside cnt instead of being
    recomputed per gain; an atom that is a pin of every net indexes the nets by a slice
    (no gathers); per-atom sizes are Python scalars; a swap sums the gains of atoms that
    share one list of nets once (``_atoms``)."""

    def __init__(self, h: dict, core: np.ndarray, k: int, prob: _Problem):
        self.h, self.k, self.core = h, k, core.copy()
        self.npc, self.spc = prob.model.neurons_per_core, prob.model.synapses_per_core or np.inf
        self.shared, self.lim = prob.shared, prob.model.destinations_per_core
        self.cnt = np.zeros((len(h["w"]), k), np.int64)
        np.add.at(self.cnt, (h["pin_net"], core[h["pin_atom"]]), 1)
        self.Z = (self.cnt == 0).astype(float)
        self.pres = np.zeros((k, len(prob.layers)), np.int64)
        np.add.at(self.pres, (core, h["layer"]), 1)
        self.N, self.S = np.bincount(core, h["n"], k), np.bincount(core, h["sops"], k)
        self.E = np.bincount(core, h["e"], k) + (self.pres > 0) @ prob.shared
        self.cost = float(h["w"] @ ((self.cnt > 0).sum(1) - 1))
        self.D = np.zeros((k, k), np.int64)
        if self.lim is not None:
            self._dest(np.arange(len(h["w"])), 1)

    def _dest(self, nets, sign):
        i, c = np.nonzero(self.cnt[nets] > 0)
        rows = self.core[self.h["src"][nets]][i]
        np.add.at(self.D, (rows[rows != c], c[rows != c]), sign)

    def excess(self) -> int:
        """Destinations beyond the limit, summed over cores."""
        if self.lim is None:
            return 0
        return int(np.maximum(np.count_nonzero(self.D, 1) - self.lim, 0).sum())

    def gains(self, a: int) -> np.ndarray:
        """Traffic saved by moving atom a to each core (0 for its own):
        ``w[c[:, p] == 1].sum() - w @ (c == 0)`` with c = cnt[nets of a], w their weights."""
        ne, p = self.h["ne"][a], self.core[a]
        w = self.h["w"][ne]
        g = w[self.cnt[ne, p] == 1].sum() - w @ self.Z[ne]
        g[p] = 0.0
        return g

    def fits(self, a: int) -> np.ndarray:
        """Cores that have room for atom a."""
        lay = self.h["py_layer"][a]
        e = self.E + self.h["py_e"][a] + self.shared[lay] * (self.pres[:, lay] == 0)
        return (self.N + self.h["py_n"][a] <= self.npc) & (e <= self.spc)

    def move(self, a: int, q: int) -> None:
        h, p = self.h, self.core[a]
        ne, lay = h["ne"][a], h["py_layer"][a]
        if self.lim is not None:
            self._dest(h["nets_of"][a], -1)
        cnt, Z = self.cnt, self.Z  # w @ ((cnt[:, q] == 0) - (cnt[:, p] == 1)) over a's nets:
        self.cost += float(h["w"][ne] @ (Z[ne, q] - (cnt[ne, p] == 1)))
        cnt[ne, p] -= 1
        cnt[ne, q] += 1
        Z[ne, p] = cnt[ne, p] == 0
        Z[ne, q] = 0.0 if p != q else Z[ne, p]
        self.core[a] = q
        n, e, s, shared = h["py_n"][a], h["py_e"][a], h["py_sops"][a], int(self.shared[lay])
        for x, sign in ((p, -1), (q, 1)):
            was = int(self.pres[x, lay] > 0)
            self.pres[x, lay] += sign
            self.N[x] += sign * n
            self.S[x] += sign * s
            self.E[x] += sign * e + shared * (int(self.pres[x, lay] > 0) - was)
        if self.lim is not None:
            self._dest(h["nets_of"][a], 1)

    def try_move(self, a: int, q: int) -> bool:
        """Move unless it raises the destination excess."""
        p, before = self.core[a], self.excess()
        self.move(a, q)
        if self.excess() > before:
            self.move(a, p)
            return False
        return True

    def try_swap(self, a: int, q: int) -> bool:
        """Move a to q and the best atom of q back, if that saves traffic within limits.

        Plainly: move(a, q); among the atoms b on q that fit back on p, the one whose move
        to p saves most; if it saves > _EPS, move(b, p) (undone with a's move if it raises
        the destination excess), else move(a, p).  The candidates are evaluated on the
        state that move(a, q) would make, without making it; a swap that does not happen
        leaves what the two moves would leave (the same float sums in cost and S)."""
        h, p, cost0, ex0 = self.h, self.core[a], self.cost, self.excess()
        ne, lay, cnt, Z, w = h["ne"][a], h["py_layer"][a], self.cnt, self.Z, h["w"]
        n_a, e_a, s_a, sh = h["py_n"][a], h["py_e"][a], h["py_sops"][a], int(self.shared[lay])
        cost1 = cost0 + float(w[ne] @ (Z[ne, q] - (cnt[ne, p] == 1)))  # move(a, q)'s cost
        bs = np.flatnonzero(self.core == q)  # a is on p
        if len(bs):
            lb, n, e = h["layer"][bs], h["n"][bs], h["e"][bs]
            mine = lb == lay  # presence, neurons, entries of p and q after move(a, q):
            pres_p, pres_q = self.pres[p, lb] - mine, self.pres[q, lb] + mine
            n_p, n_q = self.N[p] - n_a, self.N[q] + n_a
            e_p = self.E[p] - e_a - sh * int(self.pres[p, lay] == 1)
            e_q = self.E[q] + e_a + sh * int(self.pres[q, lay] == 0)
            bs = bs[(n_p + n <= self.npc) & (n_q - n <= self.npc)
                    & (e_p + e + self.shared[lb] * (pres_p == 0) <= self.spc)
                    & (e_q - e - self.shared[lb] * (pres_q == 1) <= self.spc)]
        if len(bs):  # the gain of moving each b back to p, all at once: per b, over its nets
            # in order, the sum of w * ((cnt[:, q] == 1) - (cnt[:, p] == 0)) after move(a, q),
            # once per distinct list of nets
            grp = h["group"][bs]
            if (grp == grp[0]).all():
                groups, inv = grp[:1], np.zeros(len(bs), np.intp)
            else:
                groups, inv = np.unique(grp, return_inverse=True)
            if len(groups) == 1:
                nb = h["group_ne"][groups[0]]
                at = np.zeros(len(h["group_nets"][groups[0]]), np.intp)
            else:
                nets = [h["group_nets"][i] for i in groups]
                nb = np.concatenate(nets)
                at = np.repeat(np.arange(len(groups)), [len(x) for x in nets])
            if isinstance(ne, slice):  # a is a pin of every net
                on_a = 1
            else:
                on_a = np.zeros(len(w), np.int64)
                on_a[ne] = 1
                on_a = on_a[nb]
            g = cost0 - cost1 + np.bincount(
                at, w[nb] * ((cnt[nb, q] + on_a == 1).astype(float) - (cnt[nb, p] - on_a == 0)),
                len(groups))[inv]
            b = bs[int(np.argmax(g))]
            if g.max() > _EPS:
                self.move(a, q)
                self.move(b, p)
                if self.excess() <= ex0:
                    return True
                self.move(b, q)
                self.move(a, p)
                return False
        # no swap: what move(a, q) then move(a, p) leave (integer counts as they were)
        self.cost = cost1
        self.cost += float(w[ne] @ ((cnt[ne, p] == 1).astype(float) - (cnt[ne, q] == 0)))
        self.S[p] += -1 * s_a
        self.S[q] += 1 * s_a
        self.S[q] += -1 * s_a
        self.S[p] += 1 * s_a
        return False


def _atoms(h: dict) -> dict:
    """Per-atom lookups for ``_State``: Python scalars of n, e, layer and SOPs; the atoms'
    distinct net lists (``group`` of each atom, ``group_nets``); each atom's nets as an
    index (``ne``: a slice when the atom is a pin of every net, in order)."""
    every, ids, group_nets = np.arange(len(h["w"])), {}, []
    group = np.array([ids.setdefault(x.tobytes(), len(ids)) for x in h["nets_of"]], np.int64)
    group_nets = [None] * len(ids)
    for a, i in enumerate(group.tolist()):
        group_nets[i] = h["nets_of"][a]
    group_ne = [slice(None) if np.array_equal(x, every) else x for x in group_nets]
    return dict(py_n=h["n"].tolist(), py_e=h["e"].tolist(), py_layer=h["layer"].tolist(),
                py_sops=h["sops"].tolist(), group=group, group_nets=group_nets,
                group_ne=group_ne, ne=[group_ne[i] for i in group.tolist()])
