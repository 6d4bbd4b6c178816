"""Unit tests of the training code (run by test/training/python.test.ts, which counts the tests that ran).

    GP_TEST_DATA=DIR /usr/bin/python3 training/test_training.py -v     # or, the same tests:
    GP_TEST_DATA=DIR /usr/bin/python3 -m unittest discover -s training -p 'test_*.py'

DIR is a small dataset written by `grasp-perception dataset` (the jest wrapper writes one).
"""

import os
import tempfile
import unittest

import numpy as np
import torch

from losses import perception_loss, segmentation_class_weights, segmentation_loss
from perception_models import BACKBONES, OUTPUT_NAMES, GraspNet
from segmentation_models import SEGMENTERS, build_segmenter
from training_data import batch, load_split, make_input, normalisation

torch.set_num_threads(2)
H, W = 128, 160


def data_dir():
    d = os.environ.get("GP_TEST_DATA")
    if not d:
        raise unittest.SkipTest("GP_TEST_DATA is not set")
    return d


class OutputShapes(unittest.TestCase):
    def test_perception_outputs(self):
        expected = {"center_heatmap": (1, 1, 32, 40), "box_ltrb": (1, 4, 32, 40), "occlusion": (1, 1, 32, 40),
                    "visible_coeffs": (1, 16, 32, 40), "amodal_coeffs": (1, 16, 32, 40),
                    "visible_protos": (1, 16, 64, 80), "amodal_protos": (1, 16, 64, 80),
                    "com_heatmap": (1, 1, 32, 40), "suction": (1, 1, 128, 160)}
        for arch in BACKBONES:
            with self.subTest(arch=arch):
                m = GraspNet(arch).eval()
                with torch.no_grad():
                    out = m(torch.randn(1, 4, H, W))
                self.assertEqual([tuple(o.shape) for o in out], [expected[n] for n in OUTPUT_NAMES])
                for name in ("center_heatmap", "occlusion", "com_heatmap", "suction"):
                    o = out[OUTPUT_NAMES.index(name)]
                    self.assertTrue(bool((o >= 0).all() and (o <= 1).all()), name)
                self.assertTrue(bool((out[OUTPUT_NAMES.index("box_ltrb")] >= 0).all()))

    def test_segmenter_outputs(self):
        for arch in SEGMENTERS:
            with self.subTest(arch=arch):
                m = build_segmenter(arch, 7).eval()
                with torch.no_grad():
                    self.assertEqual(tuple(m(torch.randn(1, 3, H, W)).shape), (1, 7, H, W))

    def test_attendseg_parameter_budget(self):
        self.assertLessEqual(sum(p.numel() for p in build_segmenter("attendseg", 7).parameters()), 1_200_000)


class PolicyNetworks(unittest.TestCase):
    def test_q_map_shapes(self):
        from policy_models import build_policy
        for name in ("policy_full", "policy_reduced"):
            with self.subTest(policy=name):
                m, _ = build_policy(name)
                m.eval()
                size = 64 if name == "policy_full" else 96
                with torch.no_grad():
                    push, grasp = m(torch.randn(2, 4, size, size))
                self.assertEqual((tuple(push.shape), tuple(grasp.shape)), ((2, 1, size, size), (2, 1, size, size)))

    def test_reduced_needs_300x_less_compute_per_step(self):
        from complexity import count_macs
        from policy_models import build_policy
        macs = {}
        for name in ("policy_full", "policy_reduced"):
            m, spec = build_policy(name)
            macs[name] = count_macs(m, (1, 4, spec["size"], spec["size"])) * spec["rotations"]
        self.assertGreaterEqual(macs["policy_full"] / macs["policy_reduced"], 300)


class SimulatorFromPython(unittest.TestCase):
    def test_reset_observe_act_round_trip(self):
        from sim_client import SimClient, SimError
        grid = {"x": [-0.224, 0.224], "y": [-0.224, 0.224], "z": [0, 0.3], "resolution": 0.007}
        with SimClient() as sim:
            with self.assertRaises(SimError):
                sim.observe()  # before reset
            self.assertEqual(sim.reset(seed=3, objects=5)["objects_remaining"], 5)
            hm = sim.observe(grid)
            self.assertEqual(hm["heights"].shape, (64, 64))
            self.assertGreater(hm["heights"].max(), 0.01)
            # Grasp straight down at the cell with the most suction-friendly height: an object top.
            inner = hm["heights"][12:52, 12:52]
            r, c = np.unravel_index(np.argmax(inner), inner.shape)
            x = grid["x"][0] + (c + 12 + 0.5) * grid["resolution"]
            y = grid["y"][0] + (r + 12 + 0.5) * grid["resolution"]
            reply = sim.act("grasp", x, y, float(inner[r, c]) + 0.002)
            self.assertIn("outcome", reply)
            self.assertEqual(reply["objects_remaining"], 5 - int(reply["success"]))


class LossesFallWhenOverfitting(unittest.TestCase):
    """Each loss term falls when a network trains on the same handful of scenes."""

    @classmethod
    def setUpClass(cls):
        cls.data = load_split(data_dir(), "train", cache=False)
        cls.mean, cls.std = normalisation(cls.data)
        cls.idx = torch.arange(min(4, cls.data["rgb"].shape[0]))

    def overfit(self, model, step_fn, steps=60):
        torch.manual_seed(0)
        opt = torch.optim.Adam(model.parameters(), lr=3e-3)
        b = batch(self.data, self.idx)
        first = None
        for _ in range(steps):
            loss, parts = step_fn(model, b)
            first = first or parts
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            _, last = step_fn(model, b)
        return first, last

    def test_perception_losses_fall(self):
        def step(model, b):
            return perception_loss(model.forward_dict(make_input(b["rgb"], b["depth"], self.mean, self.std)), b)

        torch.manual_seed(0)
        first, last = self.overfit(GraspNet("fast_graspnext"), step)
        for k in first:
            with self.subTest(loss=k):
                self.assertLess(last[k], 0.8 * first[k], f"{k}: {first[k]:.4f} -> {last[k]:.4f}")

    def test_segmentation_loss_falls(self):
        def step(model, b):
            return segmentation_loss(model(make_input(b["rgb"], b["depth"], self.mean, self.std, with_depth=False)), b)

        torch.manual_seed(0)
        first, last = self.overfit(build_segmenter("attendseg", 7), step)
        self.assertLess(last["cross_entropy"], 0.5 * first["cross_entropy"])


class ClassWeights(unittest.TestCase):
    def test_class_weights_favour_rare_classes(self):
        # 4 classes present at 64 %, 16 %, 16 %, 4 % of the pixels; class 4 absent. Median frequency 16 %:
        # weights (0.16 / f)^0.5 = 0.5, 1, 1, 2; an absent class keeps 1; the clip bounds extremes.
        counts = [64, 16, 16, 4, 0]
        semantic = torch.cat([torch.full((n,), c, dtype=torch.long) for c, n in enumerate(counts)])
        w = segmentation_class_weights(semantic, 5)
        self.assertEqual([round(float(v), 4) for v in w], [0.5, 1.0, 1.0, 2.0, 1.0])
        rare = torch.cat([torch.zeros(10 ** 6, dtype=torch.long), torch.ones(10 ** 6, dtype=torch.long),
                          torch.full((1,), 2, dtype=torch.long)])
        self.assertAlmostEqual(float(segmentation_class_weights(rare, 3)[2]), 10.0, places=4)


class Flips(unittest.TestCase):
    def test_flip_keeps_targets_consistent(self):
        data = load_split(data_dir(), "train", cache=False)
        b0 = batch(data, torch.tensor([0]))
        b1 = batch(data, torch.tensor([0]), torch.tensor([True]), torch.tensor([True]))
        self.assertTrue(torch.equal(b1["rgb"], b0["rgb"].flip(-1).flip(-2)))
        valid = b0["valid"][0]
        box0, box1 = b0["boxes"][0][valid], b1["boxes"][0][valid]
        self.assertTrue(torch.allclose(box1[:, 0], W - box0[:, 2]))
        self.assertTrue(torch.allclose(box1[:, 3], H - box0[:, 1]))
        # The flipped box centre lies where the flipped centre heatmap peaks.
        self.assertTrue(torch.equal(b1["center"], b0["center"].flip(-1).flip(-2)))


class InputContractV2(unittest.TestCase):
    """Training data through the runtime's contract encoder (`grasp-perception encode`): letterboxed, heights."""

    def test_encoded_split_and_targets_in_the_network_frame(self):
        from training_data import load_split_v2
        with tempfile.TemporaryDirectory() as tmp:
            import shutil
            root = os.path.join(tmp, "d")
            shutil.copytree(data_dir(), root, ignore=shutil.ignore_patterns("*.cache.pt", "encoded"))
            # 160x128 (5:4) into a 4:3 128x96 input: scale 0.75, content 120x96, 4 columns of padding each side.
            d = load_split_v2(root, "train", 128, 96, cache=False)
            self.assertEqual(tuple(d["rgb"].shape[1:]), (3, 96, 128))
            self.assertEqual(d["contract"]["fit"], "letterbox")
            self.assertEqual(d["aspects"], [1.25])
            self.assertTrue(bool((d["rgb"][:, :, :, :4] == 0).all()))  # the pad colour
            self.assertTrue(bool(torch.isnan(d["depth"][:, :, :4].float()).all()))  # padding has no height
            heights = d["depth"][:, :, 4:-4].float()
            self.assertGreater(float(torch.isfinite(heights).float().mean()), 0.5)
            # The bin floor is the support: most heights are within a few cm of 0, none far below it.
            finite = heights[torch.isfinite(heights)]
            self.assertLess(float(finite.median().abs()), 0.03)
            self.assertGreater(float(finite.min()), -0.05)
            boxes = d["boxes"][d["valid"]]
            self.assertTrue(bool((boxes[:, 0] >= 4 - 1e-4).all() and (boxes[:, 2] <= 124 + 1e-4).all()))
            v1 = load_split(data_dir(), "train", cache=False)
            self.assertTrue(torch.allclose(boxes[:, 0], 4 + 0.75 * v1["boxes"][v1["valid"]][:, 0]))
            mean, std = normalisation(d)
            x = make_input(d["rgb"][:2], d["depth"][:2], mean, std, contract=2)
            self.assertTrue(bool(torch.isfinite(x).all()))
            self.assertTrue(bool((x[:, 3, :, :4] == 0).all()))


class CheckpointResume(unittest.TestCase):
    def test_resume_reproduces_an_uninterrupted_run(self):
        import train
        with tempfile.TemporaryDirectory() as tmp:
            common = ["--arch", "attendseg", "--data", data_dir(), "--samples", "64", "--batch", "8",
                      "--checkpoint-every", "32", "--threads", "2"]
            train.main(common + ["--out", os.path.join(tmp, "a")])
            train.main(common + ["--out", os.path.join(tmp, "b"), "--stop-after", "4"])
            self.assertFalse(os.path.exists(os.path.join(tmp, "b", "final.pt")))
            self.assertEqual(torch.load(os.path.join(tmp, "b", "checkpoint.pt"))["step"], 4)
            train.main(common + ["--out", os.path.join(tmp, "b"), "--resume"])
            self.assertRegex(torch.load(os.path.join(tmp, "a", "final.pt"))["training"]["machine"], r".+, \d+ cores$")
            a = torch.load(os.path.join(tmp, "a", "final.pt"))["model"]
            b = torch.load(os.path.join(tmp, "b", "final.pt"))["model"]
            for k in a:
                self.assertTrue(torch.equal(a[k], b[k]), k)



class PolicyTraining(unittest.TestCase):
    def test_qat_model_is_the_batch_norm_folded_network(self):
        from policy_models import build_policy
        from qat import export_mode, prepare_qat_model
        torch.manual_seed(0)
        net, spec = build_policy("policy_reduced")
        net.train()
        with torch.no_grad():  # non-trivial running statistics
            for _ in range(3):
                net(torch.randn(4, 4, 96, 96))
        net.eval()
        x = torch.randn(2, 4, 96, 96)
        q = prepare_qat_model(net, x)
        with torch.no_grad():
            ref = net(x)
            fake = q.eval()(x)
            folded = export_mode(q)(x)
        for a, b in zip(ref, folded):
            self.assertLess(float((a - b).abs().max()), 1e-4)
        # Fake quantization changes the output, but only by int8 rounding.
        err = max(float((a - b).abs().max()) for a, b in zip(ref, fake))
        scale = max(float(a.abs().max()) for a in ref)
        self.assertGreater(err, 0)
        self.assertLess(err, 0.1 * scale)

    def test_greedy_and_exploration_stay_inside_the_masks(self):
        from policy_train import explore, greedy
        rng = np.random.default_rng(0)
        push = rng.normal(size=(8, 1, 16, 16)).astype(np.float32)
        grasp = rng.normal(size=(8, 1, 16, 16)).astype(np.float32)
        obs = {"push_mask": np.zeros((8, 16, 16), np.uint8), "grasp_mask": np.zeros((16, 16), np.uint8)}
        self.assertIsNone(greedy(push, grasp, obs))
        self.assertIsNone(explore(rng, obs, 0.5))
        obs["push_mask"][3, 4, 5] = 1
        obs["grasp_mask"][7, 2] = 1
        grasp[0, 0, 7, 2] = push[3, 0, 4, 5] + 1
        self.assertEqual(greedy(push, grasp, obs)[:4], ("grasp", 0, 7, 2))
        push[3, 0, 4, 5] = grasp[0, 0, 7, 2] + 1
        self.assertEqual(greedy(push, grasp, obs)[:4], ("push", 3, 4, 5))
        seen = {explore(rng, obs, 0.5) for _ in range(50)}
        self.assertEqual(seen, {("grasp", 0, 7, 2), ("push", 3, 4, 5)})

    def test_training_resumes_from_its_checkpoint(self):
        import json
        import time
        from policy_train import main
        with tempfile.TemporaryDirectory() as out:
            main(["--out", out, "--steps", "3", "--checkpoint-every", "2", "--objects", "3", "--camera", "160x120"])
            # The first segment, made long: train_seconds must count it, not restart its clock on --resume.
            ckpt = os.path.join(out, "checkpoint.pt")
            ck = torch.load(ckpt)
            ck["train_seconds"] = 1000.0
            torch.save(ck, ckpt)
            started = time.time()
            main(["--out", out, "--steps", "5", "--checkpoint-every", "2", "--objects", "3", "--camera", "160x120",
                  "--resume"])
            second = time.time() - started
            total = torch.load(os.path.join(out, "final.pt"))["train_seconds"]
            self.assertGreaterEqual(total, 1000.0)
            self.assertLessEqual(total, 1000.0 + second)
            self.assertGreaterEqual(torch.load(ckpt)["train_seconds"], 1000.0)
            self.assertRegex(torch.load(os.path.join(out, "final.pt"))["machine"], r".+, \d+ cores$")
            log = [json.loads(line) for line in open(os.path.join(out, "log.jsonl"))]
            self.assertEqual([e["step"] for e in log], [1, 2, 3, 4, 5])
            self.assertTrue(all(e["reward"] in (0.0, 0.5, 1.0) for e in log))
            self.assertEqual(torch.load(os.path.join(out, "checkpoint.pt"))["step"], 5)
            self.assertTrue(os.path.exists(os.path.join(out, "curve.png")))

    def test_episode_mix_is_drawn_from_the_scene_seed_with_the_given_weights(self):
        from policy_train import episode_setup, parse_args, parse_mix
        self.assertEqual(parse_mix("default:3,cells/a.yaml"), [("default", 0.75), ("cells/a.yaml", 0.25)])
        a = parse_args(["--out", "x", "--cells", "default:0.5,cells/arc_tote_sr300.yaml:0.5",
                        "--resolutions", "320x240,1280x720", "--objects", "10,30"])
        draws = [episode_setup(a, 100000 + k) for k in range(400)]
        self.assertEqual(draws[:50], [episode_setup(a, 100000 + k) for k in range(50)])  # the seed decides
        cells = [d[0] for d in draws]
        self.assertEqual(set(cells), {None, "cells/arc_tote_sr300.yaml"})
        self.assertGreater(cells.count(None), 150)  # ~200 of 400 each; a one-sided draw would fail
        self.assertLess(cells.count(None), 250)
        self.assertEqual({d[2:] for d in draws}, {(320, 240), (1280, 720)})
        self.assertEqual({d[1] for d in draws}, {10, 30})

    def test_cells_training_resumes_from_its_light_checkpoint(self):
        import json
        from policy_train import main
        with tempfile.TemporaryDirectory() as out:
            light = os.path.join(out, "committed", "light.pt")
            args = ["--out", os.path.join(out, "run"), "--checkpoint-every", "2", "--heightmap", "footprint",
                    "--cells", "cells/arc_tote_sr300.yaml", "--resolutions", "160x120", "--light-checkpoint", light,
                    "--lost-penalty", "0.5"]
            main(args + ["--steps", "2"])
            ck = torch.load(light)
            self.assertIsNone(ck["replay"]["inputs"])
            self.assertEqual(ck["step"], 2)
            self.assertLess(os.path.getsize(light), os.path.getsize(os.path.join(out, "run", "checkpoint.pt")))
            os.remove(os.path.join(out, "run", "checkpoint.pt"))  # the work directory is gone: resume from the light one
            main(args + ["--steps", "3", "--resume"])
            final = torch.load(os.path.join(out, "run", "final.pt"))
            self.assertEqual(final["steps"], 3)
            self.assertEqual(final["spec"]["grid"]["method"], "footprint")
            self.assertEqual(final["episodes_from"]["grid"], "follows the workspace")
            log = [json.loads(line) for line in open(os.path.join(out, "run", "log.jsonl"))]
            self.assertEqual([e["step"] for e in log], [1, 2, 3])
            self.assertEqual({(e["cell"], e["camera"]) for e in log}, {("arc_tote_sr300", "160x120")})

    def test_trainer_refuses_seeds_outside_the_training_range(self):
        import json
        from policy_train import main, training_seed
        with open(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src", "policy",
                               "seed-ranges.json")) as f:
            ranges = json.load(f)
        self.assertEqual(training_seed(0, 0), ranges["training"]["first"])
        with tempfile.TemporaryDirectory() as out:
            # --seed 90 would start at 1 000 000, past the range's end; a negative one lands in evaluation.
            for seed in ("90", "-9"):
                with self.assertRaises(SystemExit) as refused:
                    main(["--out", os.path.join(out, seed), "--steps", "1", "--seed", seed])
                self.assertRegex(str(refused.exception),
                                 r"^policy_train.py: scene seed -?\d+ \(--seed -?\d+, episode 0\) is outside the "
                                 r"training range 100000..999999 \(src/policy/seed-ranges.json\)$")
                self.assertFalse(os.path.exists(os.path.join(out, seed)))

    def test_export_writes_a_policy_manifest_and_qat_exports_plain_convolutions(self):
        import json
        import onnx
        from policy_export import export_policy
        from policy_models import build_policy
        from qat import export_mode, prepare_qat_model
        torch.manual_seed(0)
        net, spec = build_policy("policy_reduced")
        with tempfile.TemporaryDirectory() as out:
            m = export_policy(net, spec, "p", out, "policy_reduced", {"steps": 0})
            self.assertEqual(m["input"]["shape"], [8, 4, 96, 96])
            self.assertEqual([o["shape"] for o in m["outputs"]], [[8, 1, 96, 96]] * 2)
            self.assertEqual(m["policy"]["rotations"], 8)
            self.assertEqual(m["policy"]["grid"], spec["grid"])
            with open(os.path.join(out, "p.json")) as f:
                self.assertEqual(json.load(f)["sha256"], m["sha256"])
            q = export_mode(prepare_qat_model(net.eval(), torch.randn(2, 4, 96, 96)))
            mq = export_policy(q, spec, "q", out, "policy_reduced", {"steps": 0})
            self.assertEqual(mq["complexity"], m["complexity"])
            ops = {n.op_type for n in onnx.load(os.path.join(out, "q.onnx")).graph.node}
            self.assertNotIn("BatchNormalization", ops)
            self.assertNotIn("QuantizeLinear", ops)  # fake quantization is off: quantize.py makes the QDQ model


if __name__ == "__main__":
    unittest.main()
