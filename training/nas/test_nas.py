"""Unit tests of training/nas (run by test/training/nas.test.ts, which counts the tests that ran).

    GP_TEST_DATA=DIR /usr/bin/python3 training/nas/test_nas.py -v

DIR is a small dataset written by `grasp-perception dataset` (the jest wrapper writes one).
"""

import json
import os
import random
import sys
import tempfile
import unittest

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # training/
from complexity import count_macs, count_params  # noqa: E402
from nas.distill import dense_dkd  # noqa: E402
from nas.nsga2 import hypervolume, nsga2, zdt1  # noqa: E402
from nas.pipeline import keep, restore  # noqa: E402
from nas.proxy import PROXY_VERSION, on_reference_grid  # noqa: E402
from nas.proxy_check import METRICS, choose_subnets, correlations  # noqa: E402
from nas.search import ScoreCache  # noqa: E402
from nas.ship import pick  # noqa: E402
from nas.space import FAST_GRASPNEXT, decode, encode, extreme, features, genes, load_space, sample  # noqa: E402
from nas.supernet import build_subnet, build_supernet, extract_subnet  # noqa: E402
from nas.surrogates import Surrogate, evaluate, latency_features, rank_metrics  # noqa: E402
from perception_models import GraspNet  # noqa: E402

torch.set_num_threads(2)
SPACE = load_space()


def with_batchnorm_statistics(model, shape):
    """Non-trivial running statistics (a fresh net's are 0/1 and would hide slicing mistakes)."""
    model.train()
    with torch.no_grad():
        model(torch.randn(*shape) * 2 + 0.5)
    return model.eval()


class SearchSpace(unittest.TestCase):
    def test_encoding_has_fixed_length_and_round_trips(self):
        rng = random.Random(3)
        n = len(genes(SPACE))
        for _ in range(50):
            arch = sample(SPACE, rng)
            enc = encode(SPACE, arch)
            self.assertEqual(len(enc), n)
            self.assertEqual(decode(SPACE, enc), arch)

    def test_contains_fast_graspnext_exactly(self):
        """fast_graspnext's own weights, loaded one to one into its subnet, give the same outputs."""
        torch.manual_seed(0)
        ref = with_batchnorm_statistics(GraspNet("fast_graspnext"), (2, 4, 144, 192))
        sub = build_subnet(decode(SPACE, encode(SPACE, FAST_GRASPNEXT))).eval()
        pairs = list(zip(ref.state_dict().items(), sub.state_dict().keys()))
        self.assertEqual(len(ref.state_dict()), len(sub.state_dict()))
        for (ka, va), kb in pairs:
            self.assertEqual(tuple(va.shape), tuple(sub.state_dict()[kb].shape), f"{ka} vs {kb}")
        sub.load_state_dict({kb: va for (_, va), kb in pairs})
        x = torch.randn(1, 4, 144, 192)
        with torch.no_grad():
            for a, b in zip(ref(x), sub(x)):
                self.assertLess(float((a - b).abs().max()), 1e-5)
        self.assertEqual(count_macs(sub, (1, 4, 144, 192)), count_macs(ref, (1, 4, 144, 192)))

    def test_largest_subnet_is_larger_than_the_mobilenet_baseline(self):
        big = build_subnet(extreme(SPACE, True))
        mob = GraspNet("mobilenet_graspnext")
        shape = (1, 4, 144, 192)
        self.assertGreater(count_params(big), count_params(mob))
        self.assertGreater(count_macs(big, shape), count_macs(mob, shape))


class WeightSharing(unittest.TestCase):
    def test_subnet_from_shared_weights_equals_the_subnet_built_alone(self):
        torch.manual_seed(1)
        sup = build_supernet(SPACE)
        with_batchnorm_statistics(sup, (2, 4, 96, 128))
        rng = random.Random(5)
        for arch in [extreme(SPACE, False)] + [sample(SPACE, rng) for _ in range(3)]:
            with self.subTest(arch=arch):
                sup.set_active(arch).eval()
                alone = extract_subnet(sup, arch).eval()
                w, h = arch["resolution"]
                x = torch.randn(1, 4, h, w)
                with torch.no_grad():
                    for a, b in zip(sup(x), alone(x)):
                        self.assertLess(float((a - b).abs().max()), 1e-5)
                # The subnet built alone has exactly its own sizes: fewer parameters than the supernet.
                self.assertLess(count_params(alone), count_params(sup))


class EncodingRoundTrip(unittest.TestCase):
    def test_encode_build_count_export_decode_the_manifest(self):
        from nas.export_nas import export_subnet
        arch = sample(SPACE, random.Random(11))
        model = build_subnet(arch)
        w, h = arch["resolution"]
        params, macs = count_params(model), count_macs(model, (1, 4, h, w))
        with tempfile.TemporaryDirectory() as out:
            export_subnet(model, arch, SPACE, "sub", out)
            with open(os.path.join(out, "sub.json")) as f:
                m = json.load(f)
            self.assertTrue(os.path.getsize(os.path.join(out, m["model_file"])) > 0)
        self.assertEqual(m["nas"]["encoding"], encode(SPACE, arch))
        self.assertEqual(decode(SPACE, m["nas"]["encoding"]), arch)
        self.assertEqual(m["nas"]["arch"], arch)
        self.assertEqual((m["complexity"]["params"], m["complexity"]["macs"]), (params, macs))
        self.assertEqual(m["input"]["shape"], [1, 4, h, w])
        self.assertEqual(m["input"]["contract"]["fit"], "letterbox")


class Distillation(unittest.TestCase):
    def test_decoupled_kd_is_zero_for_an_identical_teacher_and_positive_otherwise(self):
        torch.manual_seed(0)
        s = torch.randn(3, 20)
        target = torch.zeros(3, 20, dtype=torch.bool)
        target[:, 4] = True
        region = torch.ones_like(target)
        self.assertAlmostEqual(float(dense_dkd(s, s.clone(), target, region)), 0.0, places=6)
        self.assertGreater(float(dense_dkd(s, s + torch.randn(3, 20), target, region)), 1e-3)
        # Only the non-target distribution differs (target mass kept): TCKD is 0, NCKD alone is positive.
        t = s.clone()
        t[:, 5], t[:, 6] = s[:, 6], s[:, 5]
        self.assertAlmostEqual(float(dense_dkd(s, t, target, region, alpha=1.0, beta=0.0)), 0.0, places=6)
        self.assertGreater(float(dense_dkd(s, t, target, region, alpha=0.0, beta=1.0)), 1e-4)


class Surrogates(unittest.TestCase):
    def test_metrics_of_a_perfect_a_reversed_and_a_constant_predictor(self):
        y = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
        perfect = rank_metrics(y, y)
        self.assertEqual(sorted(perfect), ["kendall_tau", "rmse_ms", "spearman_rho"])
        for k, v in (("spearman_rho", 1.0), ("kendall_tau", 1.0), ("rmse_ms", 0.0)):
            self.assertAlmostEqual(perfect[k], v, places=9)
        self.assertAlmostEqual(rank_metrics(y[::-1], y)["kendall_tau"], -1.0)
        self.assertEqual(rank_metrics(np.full(5, 3.0), y)["kendall_tau"], 0.0)
        self.assertAlmostEqual(rank_metrics(y + 1, y)["rmse_ms"], 1.0)

    def test_surrogates_rank_a_toy_latency_better_than_its_flops(self):
        """Toy latency: per-layer overhead (depth) dominates, FLOPs see only width -- the finding of RAM-NAS."""
        rng = np.random.default_rng(0)
        x = rng.random((60, 5))
        y = 1.0 + 3.0 * x[:, 0] + 2.0 * x[:, 1] ** 2 + 0.5 * x[:, 2] + rng.normal(0, 0.02, 60)
        flops = x[:, 3] + 0.3 * x[:, 2]
        r = evaluate(x, y, flops, seed=0, curve_step=20)
        self.assertEqual((r["train"], r["test"]), (48, 12))
        self.assertLess(r["table"]["flops"]["kendall_tau"], 0.5)
        for kind in ("rbf", "gp"):
            self.assertGreater(r["table"][kind]["kendall_tau"], 0.8, kind)
        self.assertIn(r["choice"], ("mlp", "cart", "rbf", "gp"))
        self.assertEqual(r["curve"]["samples"][0], 10)
        self.assertEqual(r["curve"]["samples"][-1], 48)
        gp = Surrogate("gp").fit(x, y)
        self.assertLess(rank_metrics(gp.predict(x), y)["rmse_ms"], 0.1)


class SupernetTraining(unittest.TestCase):
    def test_resume_reproduces_an_uninterrupted_run(self):
        """Sandwich steps with distillation, checkpoint, --stop-after, --resume: the same weights as one run."""
        from nas import train_supernet
        data = os.environ.get("GP_TEST_DATA")
        if not data:
            raise unittest.SkipTest("GP_TEST_DATA is not set")
        quick = os.path.join(os.path.dirname(os.path.abspath(__file__)), "spaces", "quick.json")
        with tempfile.TemporaryDirectory() as tmp:
            common = ["--space", quick, "--data", data, "--samples", "6", "--batch", "2", "--checkpoint-every", "2",
                      "--threads", "2"]
            train_supernet.main(common + ["--out", os.path.join(tmp, "a")])
            train_supernet.main(common + ["--out", os.path.join(tmp, "b"), "--stop-after", "1"])
            self.assertFalse(os.path.exists(os.path.join(tmp, "b", "supernet.pt")))
            self.assertEqual(torch.load(os.path.join(tmp, "b", "checkpoint.pt"))["step"], 1)
            train_supernet.main(common + ["--out", os.path.join(tmp, "b"), "--resume"])
            a = torch.load(os.path.join(tmp, "a", "supernet.pt"))
            b = torch.load(os.path.join(tmp, "b", "supernet.pt"))
            for k in a["model"]:
                self.assertTrue(torch.equal(a["model"][k], b["model"][k]), k)
            log = [json.loads(line) for line in open(os.path.join(tmp, "a", "train_log.jsonl"))]
            self.assertEqual(len(log[0]["subnets"]), 4)  # largest, smallest, two random
            self.assertEqual(len(log[0]["kd"]), 4)  # every sampled subnet distils from the other three
            self.assertRegex(a["training"]["machine"], r".+, \d+ cores$")


class Nsga2(unittest.TestCase):
    def test_zdt1_reaches_95_percent_of_the_true_fronts_hypervolume(self):
        _, front, _ = nsga2(zdt1, 2, "real:30", population=100, generations=150, seed=1)
        ref = (1.1, 1.1)
        true = hypervolume([(i / 10000, 1 - (i / 10000) ** 0.5) for i in range(10001)], ref)
        self.assertAlmostEqual(true, 1.21 - 1 / 3, places=3)
        self.assertGreaterEqual(hypervolume([i.fitness.values for i in front], ref) / true, 0.95)

    def test_integer_coding_stays_in_the_space_and_finds_the_trade_off(self):
        card = [len(c) for _, c in genes(SPACE)]

        def objectives(enc):
            for g, n in zip(enc, card):
                assert 0 <= g < n and isinstance(g, int)
            return sum(enc), -sum(enc)  # every point is Pareto-optimal: the front spreads

        _, front, evals = nsga2(objectives, 2, card, population=16, generations=5, seed=2)
        self.assertGreater(len({tuple(i) for i in front}), 4)
        self.assertGreater(evals, 16)


class ResumableSearch(unittest.TestCase):
    def setUp(self):
        self.calls, self.archs = [], [extreme(SPACE, False), extreme(SPACE, True)]
        self.dir = tempfile.TemporaryDirectory()
        self.sup = os.path.join(self.dir.name, "supernet.pt")
        self.write_supernet(b"weights one")

    def tearDown(self):
        self.dir.cleanup()

    def write_supernet(self, content):
        with open(self.sup, "wb") as f:
            f.write(content)

    def score(self, arch):
        self.calls.append(arch["resolution"])
        return float(arch["resolution"][0])

    def cache(self, path, **kw):
        return ScoreCache(os.path.join(self.dir.name, path), self.score, supernet=self.sup, calib_batches=4, **kw)

    def test_scores_are_kept_and_a_changed_supernet_starts_afresh(self):
        first = self.cache("scores.jsonl")
        self.assertEqual([first(SPACE, a) for a in self.archs], [128.0, 320.0])
        again = self.cache("scores.jsonl")
        self.assertEqual([again(SPACE, a) for a in self.archs], [128.0, 320.0])
        self.assertEqual(len(self.calls), 2)  # the second search scored nothing
        self.write_supernet(b"weights two")
        self.cache("scores.jsonl")(SPACE, self.archs[0])
        self.assertEqual(len(self.calls), 3)
        self.assertTrue(os.path.exists(os.path.join(self.dir.name, "scores.jsonl.stale")))
        # Scores of another proxy (version) are not reused either.
        self.cache("scores.jsonl", proxy_version=PROXY_VERSION)(SPACE, self.archs[0])
        self.assertEqual(len(self.calls), 4)

    def test_a_committed_checkpoint_resumes_the_search_on_a_fresh_machine(self):
        kept = os.path.join(self.dir.name, "committed")
        os.makedirs(os.path.join(self.dir.name, "one"))
        first = self.cache(os.path.join("one", "scores.jsonl"), checkpoint=kept, checkpoint_every=1)
        self.assertEqual([first(SPACE, a) for a in self.archs], [128.0, 320.0])
        self.assertTrue(os.path.exists(os.path.join(kept, "scores.jsonl")))
        os.makedirs(os.path.join(self.dir.name, "two"))  # another work directory, empty: it starts from the checkpoint
        fresh = self.cache(os.path.join("two", "scores.jsonl"), checkpoint=kept)
        self.assertEqual([fresh(SPACE, a) for a in self.archs], [128.0, 320.0])
        self.assertEqual(len(self.calls), 2)


class KeptOutputs(unittest.TestCase):
    def test_kept_files_fill_only_what_the_work_directory_lacks(self):
        with tempfile.TemporaryDirectory() as d:
            work, kept = os.path.join(d, "work"), os.path.join(d, "kept")
            os.makedirs(work)
            for name, text in (("search.json", "finished"), ("pareto.png", "drawn")):
                with open(os.path.join(work, name), "w") as f:
                    f.write(text)
            keep(work, kept, ("search.json", "pareto.png", "proxy_check.json"))  # no proxy check yet: skipped
            self.assertEqual(sorted(os.listdir(kept)), ["pareto.png", "search.json"])
            fresh = os.path.join(d, "fresh")
            restore(kept, fresh, ("search.json", "pareto.png", "proxy_check.json"))
            with open(os.path.join(fresh, "search.json")) as f:
                self.assertEqual(f.read(), "finished")
            with open(os.path.join(fresh, "search.json"), "w") as f:
                f.write("newer")
            restore(kept, fresh, ("search.json",))  # a file WORK has is never overwritten
            with open(os.path.join(fresh, "search.json")) as f:
                self.assertEqual(f.read(), "newer")
            restore(None, os.path.join(d, "none"), ("search.json",))  # no checkpoints: nothing happens
            self.assertFalse(os.path.exists(os.path.join(d, "none")))


class ReferenceGrid(unittest.TestCase):
    def test_outputs_take_the_reference_sizes_grids_and_box_sides_its_pixels(self):
        torch.manual_seed(0)
        small = dict(FAST_GRASPNEXT, resolution=[128, 96])
        net = build_subnet(small).eval()
        with torch.no_grad():
            out = net.forward_dict(torch.randn(1, 4, 96, 128))
            want = net.forward_dict(torch.randn(1, 4, 192, 256))  # the same network's grids at the reference
        ref = on_reference_grid(out, (128, 96), (256, 192))
        self.assertEqual({k: tuple(v.shape) for k, v in ref.items()}, {k: tuple(v.shape) for k, v in want.items()})
        self.assertIs(on_reference_grid(out, (256, 192), (256, 192)), out)
        # Bilinear resizing keeps a constant map; box sides double with the pixels (a 2x reference).
        const = {"box_ltrb": torch.full((1, 4, 24, 32), 3.0), "center_heatmap": torch.full((1, 1, 24, 32), 0.25)}
        r = on_reference_grid(const, (128, 96), (256, 192))
        self.assertTrue(torch.allclose(r["box_ltrb"], torch.full((1, 4, 48, 64), 6.0)))
        self.assertTrue(torch.allclose(r["center_heatmap"], torch.full((1, 1, 48, 64), 0.25)))


class LatencyFeatures(unittest.TestCase):
    def test_the_encoding_then_log_macs_scaled_to_the_spaces_range(self):
        small, large = extreme(SPACE, False), extreme(SPACE, True)
        n = len(encode(SPACE, small))
        lo = latency_features(SPACE, encode(SPACE, small), count_macs(build_subnet(small), (1, 4, 96, 128)))
        hi = latency_features(SPACE, encode(SPACE, large), count_macs(build_subnet(large), (1, 4, 240, 320)))
        self.assertEqual((len(lo), lo[:n], lo[n]), (n + 1, features(SPACE, encode(SPACE, small)), 0.0))
        self.assertEqual((hi[:n], round(hi[n], 9)), (features(SPACE, encode(SPACE, large)), 1.0))


class ShippingTheFront(unittest.TestCase):
    # The surrogate's milliseconds are another machine's (here 3x faster): the target's measured ones decide.
    FRONT = [{"name": "a", "score": 3.0, "predicted_latency_ms": 1.0, "measured_p50_ms": 3.0},
             {"name": "b", "score": 2.0, "predicted_latency_ms": 2.0, "measured_p50_ms": 6.0},
             {"name": "c", "score": 1.0, "predicted_latency_ms": 4.0, "measured_p50_ms": 12.0}]

    def test_each_budget_takes_the_best_point_whose_measured_latency_fits_or_the_fastest_when_none_fits(self):
        self.assertEqual([(pick(self.FRONT, b)[0]["name"], pick(self.FRONT, b)[1]) for b in (13.0, 6.0, 4.0, 2.0)],
                         [("c", True), ("b", True), ("a", True), ("a", False)])


class ProxyCheck(unittest.TestCase):
    def test_correlations_are_signed_so_that_plus_one_means_the_proxy_ranks_like_the_metric(self):
        losses = [1.0, 2.0, 3.0, 4.0]
        metrics = [{k: (1 - l / 10 if higher else l / 10) for k, higher in METRICS.items()} for l in losses]
        metrics[0]["occlusion_balanced_accuracy"] = None  # undefined on a split without occluded instances
        c = correlations(losses, metrics)
        for k in METRICS:
            self.assertAlmostEqual(c[k]["kendall"], 1.0)
            self.assertAlmostEqual(c[k]["spearman"], 1.0)
        self.assertEqual(c["occlusion_balanced_accuracy"]["n"], 3)
        reversed_ = correlations(losses[::-1], metrics)
        self.assertAlmostEqual(reversed_["amodal_bbox_ap"]["kendall"], -1.0)

    def test_subnets_are_the_front_then_distinct_random_ones(self):
        front = [extreme(SPACE, True), extreme(SPACE, False), extreme(SPACE, True)]
        chosen = choose_subnets(SPACE, front, 6, seed=3)
        self.assertEqual(chosen[:2], front[:2])
        self.assertEqual(len({repr(a) for a in chosen}), 6)
        for a in chosen:
            decode(SPACE, encode(SPACE, a))


if __name__ == "__main__":
    unittest.main()
