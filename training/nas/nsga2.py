"""NSGA-II (Deb et al. 2002) with DEAP (Debian's python3-deap): minimise several objectives.

Two codings share one loop: integer genes (an architecture's choice indices: uniform crossover, uniform
integer mutation) and real genes in [0, 1] (benchmarks such as ZDT1: SBX crossover eta 15, polynomial
mutation eta 20, the pymoo defaults). Selection: binary tournament on rank then crowding distance
(selTournamentDCD), survival by non-dominated sorting and crowding (selNSGA2).
"""

import random

from deap import base, creator, tools


def _types(n_obj):
    name = f"FitnessMin{n_obj}"
    if not hasattr(creator, name):
        creator.create(name, base.Fitness, weights=(-1.0,) * n_obj)
        creator.create(f"Individual{n_obj}", list, fitness=getattr(creator, name))
    return getattr(creator, f"Individual{n_obj}")


def nsga2(evaluate, n_obj, genes, population=40, generations=20, seed=1, cx_prob=0.9, init=None):
    """genes: list of choice counts (integer coding) or the string 'real:N' (N genes in [0, 1]).
    evaluate(individual as a list) -> tuple of n_obj values. Returns (final population, first front,
    evaluations made). `init`: individuals to seed the first population with."""
    rng = random.Random(seed)
    ind_cls = _types(n_obj)
    tb = base.Toolbox()
    real = isinstance(genes, str)
    if real:
        n = int(genes.split(":")[1])
        tb.register("individual", lambda: ind_cls(rng.random() for _ in range(n)))
        tb.register("mate", tools.cxSimulatedBinaryBounded, eta=15.0, low=0.0, up=1.0)
        tb.register("mutate", tools.mutPolynomialBounded, eta=20.0, low=0.0, up=1.0, indpb=1.0 / n)
    else:
        n = len(genes)
        up = [g - 1 for g in genes]
        tb.register("individual", lambda: ind_cls(rng.randrange(g) for g in genes))
        tb.register("mate", tools.cxUniform, indpb=0.5)
        tb.register("mutate", tools.mutUniformInt, low=[0] * n, up=up, indpb=max(0.2, 1.0 / n))
    population += population % 4  # selTournamentDCD takes multiples of 4
    cache = {}

    def fitness(ind):
        key = tuple(ind)
        if key not in cache:
            cache[key] = tuple(float(v) for v in evaluate(list(ind)))
        return cache[key]

    # DEAP's operators draw from the module-level random; seed it for a reproducible run.
    state = random.getstate()
    random.seed(seed)
    try:
        pop = [ind_cls(i) for i in (init or [])][:population]
        pop += [tb.individual() for _ in range(population - len(pop))]
        for ind in pop:
            ind.fitness.values = fitness(ind)
        pop = tools.selNSGA2(pop, len(pop))  # assigns crowding distances
        for _ in range(generations):
            parents = [tb.clone(i) for i in tools.selTournamentDCD(pop, len(pop))]
            for a, b in zip(parents[::2], parents[1::2]):
                if random.random() <= cx_prob:
                    tb.mate(a, b)
                tb.mutate(a)
                tb.mutate(b)
                del a.fitness.values, b.fitness.values
            for ind in parents:
                if not real:
                    ind[:] = [min(max(int(v), 0), g - 1) for v, g in zip(ind, genes)]
                ind.fitness.values = fitness(ind)
            pop = tools.selNSGA2(pop + parents, population)
    finally:
        random.setstate(state)
    front = tools.sortNondominated(pop, len(pop), first_front_only=True)[0]
    return pop, front, len(cache)


def hypervolume(points, ref):
    """2-objective hypervolume (minimisation) of points against the reference point."""
    pts = sorted({(float(a), float(b)) for a, b in points if a < ref[0] and b < ref[1]})
    hv, best_b = 0.0, ref[1]
    for a, b in pts:
        if b < best_b:
            hv += (ref[0] - a) * (best_b - b)
            best_b = b
    return hv


def zdt1(x):
    """ZDT1 (30 variables in [0, 1]); its Pareto front is f2 = 1 - sqrt(f1), f1 in [0, 1] (g = 1)."""
    f1 = x[0]
    g = 1 + 9 * sum(x[1:]) / (len(x) - 1)
    return f1, g * (1 - (f1 / g) ** 0.5)
