"""RAM-NAS for grasp perception (docs/nas.md): search space, supernet, latency surrogates, NSGA-II."""
