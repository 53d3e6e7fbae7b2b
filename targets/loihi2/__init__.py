"""Intel Loihi 2: resource model, mapping onto netx blocks, fixed-point arithmetic, netx HDF5 emitter and bit-exact simulator."""
