"""Loads every ExportTimm folder under the given directory in timm and compares with this library's reference outputs.

Usage (inside a userland with PyTorch and timm, e.g. the one bench/peer/make-userland.sh builds; eng/verify-timm-export.sh
runs it there):
    python3 verify-timm-export.py <folder of exports>

For each export it builds the network the way a timm user would:
  * timm.create_model("local-dir:<folder>", pretrained=True): timm's own hub loader (config.json + model.safetensors,
    the same code path as "hf-hub:<repo>"); for an architecture timm has no name for, config.json's model_args overlay
    the NfCfg of an NFNet entry point;
  * timm.create_model(architecture, pretrained=True, pretrained_cfg_overlay=dict(file=..., num_classes=...), **model_args);
  * NormFreeNet(NfCfg(**config["nf_cfg"])) with the weights loaded strictly, the route for custom configurations;
    a stem NfCfg cannot describe (nfnet_stem_channels, e.g. nfnet_tiny's 16-32-32-64) is rebuilt by load_exported().
Then it compares logits and pooled features on the reference input, checks timm's data config against the exported
preprocessing, and compares timm's transform of reference.png with this library's preprocessed tensor.
Prints one RESULT line per export and exits non-zero when a difference is above its tolerance.
"""
import json
import sys
from pathlib import Path

import torch
import timm
from PIL import Image
from safetensors.torch import load_file
from timm.models.nfnet import NfCfg, NormFreeNet

LOGIT_TOLERANCE = 1e-4      # float32, relative to the largest |logit|
PIXEL_TOLERANCE = 0.05      # normalised units: PIL's and libtorch's antialiased resizes differ by about a grey level


def load_exported(folder: Path) -> torch.nn.Module:
    """The NfCfg route: NormFreeNet(NfCfg(**nf_cfg)), with the stem rebuilt when NfCfg cannot describe it."""
    config = json.loads((folder / "config.json").read_text())
    model = NormFreeNet(NfCfg(**config["nf_cfg"]), num_classes=config["num_classes"])
    stem_channels = config.get("nfnet_stem_channels")
    if stem_channels:
        in_channels = 3
        for i, out_channels in enumerate(stem_channels):
            old = getattr(model.stem, f"conv{i + 1}")
            gamma = old.scale * old.weight[0].numel() ** 0.5  # the activation gain folded into the conv (1 with gamma_in_act)
            new = type(old)(in_channels, out_channels, kernel_size=3, stride=old.stride[0], gamma=gamma, eps=old.eps)
            setattr(model.stem, f"conv{i + 1}", new)
            in_channels = out_channels
    model.load_state_dict(load_file(str(folder / "model.safetensors")), strict=True)
    return model.eval()


def max_relative(expected: torch.Tensor, actual: torch.Tensor) -> float:
    return ((actual.double() - expected.double()).abs().max() / expected.double().abs().max()).item()


def check(folder: Path) -> bool:
    config = json.loads((folder / "config.json").read_text())
    reference = load_file(str(folder / "reference.safetensors"))
    ok = True
    routes = {"NfCfg": load_exported(folder)}
    if not config.get("nfnet_stem_channels"):
        routes["local-dir"] = timm.create_model(f"local-dir:{folder}", pretrained=True).eval()
        # The architecture name with the file; num_classes in the overlay too, or timm drops a head of another size.
        classes = config["num_classes"]
        routes["overlay"] = timm.create_model(config["architecture"], pretrained=True, num_classes=classes,
                                              pretrained_cfg_overlay=dict(file=str(folder / "model.safetensors"), num_classes=classes),
                                              **config.get("model_args", {})).eval()
    result = {"export": folder.name, "architecture": config["architecture"], "model_args": "model_args" in config}
    for route, model in routes.items():
        with torch.no_grad():
            logits = model(reference["input"])
            features = model.forward_head(model.forward_features(reference["input"]), pre_logits=True)
        result[f"{route}_logits_max_rel_diff"] = max_relative(reference["logits"], logits)
        result[f"{route}_features_max_rel_diff"] = max_relative(reference["features"], features)
        ok &= result[f"{route}_logits_max_rel_diff"] <= LOGIT_TOLERANCE and result[f"{route}_features_max_rel_diff"] <= LOGIT_TOLERANCE

    model = routes.get("local-dir") or routes["NfCfg"]
    if "local-dir" not in routes:
        model.pretrained_cfg = config["pretrained_cfg"]
    data_config = timm.data.resolve_model_data_config(model, use_test_size=True)
    own = config["microsoft_ml_nfnet"]["preprocessing"]
    size = own["EvalImageSize"] or own["ImageSize"]
    expected = {
        "input_size": (3, size, size), "crop_pct": own["EvalCropFraction"],
        "crop_mode": "squash" if own["EvalResizeMode"] == "Squash" else "center", "interpolation": own["Interpolation"].lower(),
        "mean": (own["MeanRed"], own["MeanGreen"], own["MeanBlue"]), "std": (own["StdRed"], own["StdGreen"], own["StdBlue"]),
    }
    def same(a, b):
        return tuple(a) == tuple(b) if isinstance(b, tuple) else (abs(a - b) < 1e-9 if isinstance(b, float) else a == b)
    mismatched = {k: (data_config[k], v) for k, v in expected.items() if not same(data_config[k], v)}
    result["data_config_matches"] = not mismatched
    if mismatched:
        result["data_config_mismatch"] = {k: str(v) for k, v in mismatched.items()}
        ok = False
    transform = timm.data.create_transform(**data_config)
    pixels = transform(Image.open(folder / "reference.png").convert("RGB")).unsqueeze(0)
    result["preprocessed_max_abs_diff"] = (pixels - reference["preprocessed"]).abs().max().item()
    ok &= result["preprocessed_max_abs_diff"] <= PIXEL_TOLERANCE
    result["ok"] = bool(ok)
    print("RESULT " + json.dumps(result), flush=True)
    return ok


def main() -> int:
    root = Path(sys.argv[1])
    torch.set_num_threads(2)
    print(f"timm {timm.__version__}, torch {torch.__version__}")
    results = [check(folder) for folder in sorted(p for p in root.iterdir() if (p / "config.json").exists())]
    print(f"{sum(results)} of {len(results)} exports match")
    return 0 if results and all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
