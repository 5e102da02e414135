"""init_model on real keras.applications models, built with weights=None (nothing downloaded).

Each model is built for 10 classes, Glorot-initialized with stride-aware fans, and its report's
summary line printed, with what (if anything) no rule knows:

    python examples/keras_applications.py                    # the default set
    python examples/keras_applications.py ResNet50 VGG16     # some models
"""

import os
import sys
import warnings

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras

import xavier_core as xc
from xavier_adapters import keras as xk

MODELS = ["ResNet50", "ResNet50V2", "MobileNetV2", "MobileNetV3Small", "EfficientNetB0",
          "EfficientNetV2B0", "ConvNeXtTiny", "DenseNet121", "VGG16", "Xception", "InceptionV3",
          "NASNetMobile"]
INPUT_SHAPES = {"InceptionV3": (75, 75, 3), "Xception": (71, 71, 3),
                "NASNetMobile": (224, 224, 3)}  # the smallest each accepts; others 64 x 64


def main(names: list[str]) -> None:
    for name in names:
        shape = INPUT_SHAPES.get(name, (64, 64, 3))
        model = getattr(keras.applications, name)(weights=None, input_shape=shape, classes=10)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", xc.UnhandledWarning)  # listed below instead
            report = xk.init_model(model, seed=0, stride_aware=True)
        rows = [line for line in report.table().splitlines()[2:] if not line.startswith("...")]
        print(f"{name}: {report.summary()}; print(report) shows {len(rows)} rows")
        for record in report.unhandled:
            print(f"    unhandled: {record.name} ({record.layer}): {record.reason}")


if __name__ == "__main__":
    main(sys.argv[1:] or MODELS)
