"""The interpreter: simulates a module at the ``nir`` or ``snn`` stage.

``plan`` flattens and discretizes a module into a list of nodes in step order
(``schedule`` fixes which edges of a cycle deliver the previous step); ``reference``
executes it with a plain per-step numpy loop; ``fast`` compiles the time loop;
``api.simulate`` is the entry point (also ``nirc.simulate`` and ``nirc run``).
"""
