"""Translation on real public models (issue 9): extract, translate, verify, run the emitted file.

    .venv/bin/python bench/real_models.py [--only NAME ...] [--out bench/results/real_models.txt]

Each model below names its origin: a repository, a path at the snapshot's commit and, for a
notebook, the code cells that define it. Nothing here is committed but this list: the code is
read from the snapshots the session's `fetch` tool brings into /work/.mirror (or $MIRROR), e.g.
`fetch github:kuangliu/pytorch-cifar`, and written to bench/.work/real/ (git-ignored).

"As published minus data loading": a .py file keeps its imports (but those of torchvision and
gymnasium: datasets, transforms, environments; there is no CPU torchvision for this torch; and of
the data and display packages in DATA_MODULES), classes, functions and literal
constants (module-level code that parses arguments, loads data or trains is dropped); a notebook
keeps the named cells, without the statements that use data (fit / evaluate / predict /
callbacks / load_model / printing) and those that read what a dropped statement bound. Where the model code reads a value the dropped code
computed from data or arguments (`nz = int(opt.nz)`, `sequence_length`), `given` supplies it,
written out in the extracted file under a comment that says so.

For each model: translate (pure Python, this process), verify in one warm worker (atol 1e-4, no
ONNX), then run the emitted file as a whole in a fresh interpreter. The table and totals go to
bench/results/real_models.txt.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from mlsense.translators import TranslationError, translate
from mlsense.translators.verify import VerificationWorker, verify_translation

ROOT = Path(__file__).resolve().parents[1]
MIRROR = Path(os.environ.get("MIRROR", "/work/.mirror"))
WORK = ROOT / "bench" / ".work" / "real"
# datasets / transforms / environments / plots
DATA_MODULES = ("torchvision", "gymnasium", "gym", "matplotlib", "IPython", "PIL", "pandas",
                "tensorflow_datasets", "sklearn", "imageio", "ipywidgets",
                "data_utils")  # yunjey's language model: its corpus reader beside it
DATA_USES = (".fit(", ".evaluate(", ".predict(", "load_model(", "callbacks", "print(",
             ".summary(", "plot_model(", ".adapt(", "set_seed(", "clear_session(",
             "load_data(", "history", "disable_traceback_filtering(", "listdir(", "glob(",
             "open(", "read_csv(", "urlretrieve(", "get_file(", "loadtxt(")


@dataclass(frozen=True)
class Model:
    name: str
    repo: str  # owner/name
    path: str
    to: str  # "keras" | "pytorch"
    select: str | None  # what the user would pass to --class: a class, a call, a builder
    input_shape: tuple[int, ...]  # without the batch axis
    cells: tuple[int, ...] = ()  # a notebook's code cells (0-based, code cells only)
    script: bool = False  # a .py script building its model at module level: read like a cell
    given: str = ""  # values the dropped data-loading code computed


CIFAR = "kuangliu/pytorch-cifar"
EXAMPLES = "pytorch/examples"
DLWP = "fchollet/deep-learning-with-python-notebooks"
HOML = "ageron/handson-ml3"
KERAS = "keras-team/keras"
C32 = (3, 32, 32)
A64 = (64, 64, 3)
KERAS_CORE = "keras-team/keras-core"
KIO = "examples/keras_io"
NANOGPT = "karpathy/nanoGPT"
YUNJEY = "yunjey/pytorch-tutorial"
YT = "tutorials"
VITP = "lucidrains/vit-pytorch"
SMALL_VIT = "image_size=32, patch_size=8, num_classes=10, dim=64, depth=2, heads=4, mlp_dim=128"

MODELS = [
    # pytorch/examples
    Model("examples/mnist", EXAMPLES, "mnist/main.py", "keras", "Net", (1, 28, 28)),
    Model("examples/mnist_rnn", EXAMPLES, "mnist_rnn/main.py", "keras", "Net", (28, 28)),
    Model("examples/vae", EXAMPLES, "vae/main.py", "keras", "VAE", (784,)),
    Model("examples/dcgan_G", EXAMPLES, "dcgan/main.py", "keras", "Generator(ngpu)", (100, 1, 1),
          given="ngpu = 1\nnz = 100\nngf = 64\nndf = 64\nnc = 3"),
    Model("examples/dcgan_D", EXAMPLES, "dcgan/main.py", "keras", "Discriminator(ngpu)",
          (3, 64, 64), given="ngpu = 1\nnz = 100\nngf = 64\nndf = 64\nnc = 3"),
    # the whole script: both networks, their optimizers and the loop (one model translated,
    # the other's statements kept as TODO lines)
    Model("examples/dcgan_script_G", EXAMPLES, "dcgan/main.py", "keras", "netG", (100, 1, 1),
          script=True, given="import argparse\nopt = argparse.Namespace(dataset='fake', "
          "dataroot=None, workers=0, batchSize=2, imageSize=64, nz=100, ngf=64, ndf=64, "
          "niter=1, lr=0.0002, beta1=0.5, dry_run=True, ngpu=1, netG='', netD='', "
          "outf='/tmp/mlsense-dcgan', manualSeed=1, classes='bedroom', accel=False)\n"
          "ngpu = 1\nnz = 100\nngf = 64\nndf = 64\nnc = 3"),
    Model("examples/super_resolution", EXAMPLES, "super_resolution/model.py", "keras",
          "Net(upscale_factor=3)", (1, 32, 32)),
    Model("examples/fast_neural_style", EXAMPLES,
          "fast_neural_style/neural_style/transformer_net.py", "keras", "TransformerNet",
          (3, 64, 64)),
    Model("examples/word_lm_lstm", EXAMPLES, "word_language_model/model.py", "keras",
          "RNNModel('LSTM', 1000, 64, 64, 2)", (35,)),
    Model("examples/word_lm_transformer", EXAMPLES, "word_language_model/model.py", "keras",
          "TransformerModel(1000, 64, 2, 64, 2)", (35,)),
    # the script builds `seq = Sequence()` and runs `seq.double()`: the same selection
    Model("examples/time_sequence", EXAMPLES, "time_sequence_prediction/train.py", "keras",
          "Sequence().double()", (20,)),
    Model("examples/actor_critic", EXAMPLES, "reinforcement_learning/actor_critic.py", "keras",
          "Policy", (4,)),
    Model("examples/reinforce", EXAMPLES, "reinforcement_learning/reinforce.py", "keras",
          "Policy", (4,)),
    # karpathy/nanoGPT and yunjey/pytorch-tutorial (session 9: every model of the two
    # repositories' model files, taken as they came)
    Model("nanogpt/gpt", NANOGPT, "model.py", "keras",
          "GPT(GPTConfig(block_size=64, vocab_size=128, n_layer=2, n_head=4, n_embd=64))", (32,)),
    Model("yunjey/feedforward", YUNJEY, f"{YT}/01-basics/feedforward_neural_network/main.py",
          "keras", "NeuralNet(input_size, hidden_size, num_classes)", (784,)),
    Model("yunjey/cnn", YUNJEY, f"{YT}/02-intermediate/convolutional_neural_network/main.py",
          "keras", "ConvNet(num_classes)", (1, 28, 28)),
    Model("yunjey/resnet", YUNJEY, f"{YT}/02-intermediate/deep_residual_network/main.py",
          "keras", "ResNet(ResidualBlock, [2, 2, 2])", C32),
    Model("yunjey/rnn", YUNJEY, f"{YT}/02-intermediate/recurrent_neural_network/main.py",
          "keras", "RNN(input_size, hidden_size, num_layers, num_classes)", (28, 28),
          given="import torch\ndevice = torch.device('cpu')"),
    Model("yunjey/birnn", YUNJEY,
          f"{YT}/02-intermediate/bidirectional_recurrent_neural_network/main.py", "keras",
          "BiRNN(input_size, hidden_size, num_layers, num_classes)", (28, 28),
          given="import torch\ndevice = torch.device('cpu')"),
    Model("yunjey/language_model", YUNJEY, f"{YT}/02-intermediate/language_model/main.py",
          "keras", "RNNLM(vocab_size, embed_size, hidden_size, num_layers)", (30,),
          given="vocab_size = 1000"),
    Model("yunjey/vae", YUNJEY, f"{YT}/03-advanced/variational_autoencoder/main.py", "keras",
          "VAE()", (784,)),
    # lucidrains/vit-pytorch: the models of its README that sit in one file (t2t imports
    # vit_pytorch.vit), at small sizes
    *[Model(f"vit-pytorch/{name}", VITP, f"vit_pytorch/{name}.py", "keras", select, shape)
      for name, select, shape in (
          ("vit", f"ViT({SMALL_VIT})", C32),
          ("simple_vit", f"SimpleViT({SMALL_VIT})", C32),
          ("cait", f"CaiT({SMALL_VIT}, cls_depth=1)", C32),
          ("deepvit", f"DeepViT({SMALL_VIT})", C32),
          ("cct", "CCT(img_size=(32, 32), embedding_dim=64, n_conv_layers=1, kernel_size=3, "
                  "stride=1, padding=1, pooling_kernel_size=3, pooling_stride=2, "
                  "pooling_padding=1, num_layers=2, num_heads=4, mlp_ratio=2.0, "
                  "num_classes=10, positional_embedding='learnable')", C32),
          ("cross_vit", "CrossViT(image_size=32, num_classes=10, depth=1, sm_dim=64, "
                        "sm_patch_size=8, sm_enc_depth=1, sm_enc_heads=4, sm_enc_mlp_dim=128, "
                        "lg_dim=96, lg_patch_size=16, lg_enc_depth=1, lg_enc_heads=4, "
                        "lg_enc_mlp_dim=128, cross_attn_depth=1, cross_attn_heads=4)", C32),
          ("pit", "PiT(image_size=32, patch_size=4, dim=64, num_classes=10, depth=(1, 1, 1), "
                  "heads=4, mlp_dim=128)", C32),
          ("levit", "LeViT(image_size=32, num_classes=10, stages=3, dim=(32, 48, 64), depth=1, "
                    "heads=(2, 3, 4), mlp_mult=2)", C32),
          ("cvt", "CvT(num_classes=10, s1_emb_dim=32, s2_emb_dim=48, s3_emb_dim=64, "
                  "s3_depth=1)", C32),
          ("mobile_vit", "MobileViT(image_size=(64, 64), dims=[32, 48, 64], channels=[8, 16, "
                         "24, 24, 32, 32, 40, 40, 48, 48, 96], num_classes=10)", (3, 64, 64)),
          ("nest", "NesT(image_size=32, patch_size=4, dim=32, heads=2, num_hierarchies=3, "
                   "block_repeats=(1, 1, 1), num_classes=10)", C32),
          ("local_vit", f"LocalViT({SMALL_VIT})", C32),
          ("vit_for_small_dataset", f"ViT({SMALL_VIT})", C32))],
    # kuangliu/pytorch-cifar: torchvision-style CIFAR models
    Model("cifar/lenet", CIFAR, "models/lenet.py", "keras", "LeNet", C32),
    Model("cifar/vgg11", CIFAR, "models/vgg.py", "keras", "VGG('VGG11')", C32),
    Model("cifar/resnet18", CIFAR, "models/resnet.py", "keras", "ResNet18", C32),
    Model("cifar/preact_resnet18", CIFAR, "models/preact_resnet.py", "keras", "PreActResNet18",
          C32),
    Model("cifar/googlenet", CIFAR, "models/googlenet.py", "keras", "GoogLeNet", C32),
    Model("cifar/densenet_cifar", CIFAR, "models/densenet.py", "keras", "densenet_cifar", C32),
    Model("cifar/mobilenet", CIFAR, "models/mobilenet.py", "keras", "MobileNet", C32),
    Model("cifar/mobilenetv2", CIFAR, "models/mobilenetv2.py", "keras", "MobileNetV2", C32),
    Model("cifar/senet18", CIFAR, "models/senet.py", "keras", "SENet18", C32),
    Model("cifar/shufflenetv2", CIFAR, "models/shufflenetv2.py", "keras",
          "ShuffleNetV2(net_size=0.5)", C32),
    Model("cifar/regnetx_200mf", CIFAR, "models/regnet.py", "keras", "RegNetX_200MF", C32),
    Model("cifar/simple_dla", CIFAR, "models/dla_simple.py", "keras", "SimpleDLA", C32),
    Model("cifar/resnext29_2x64d", CIFAR, "models/resnext.py", "keras", "ResNeXt29_2x64d", C32),
    Model("cifar/dpn26", CIFAR, "models/dpn.py", "keras", "DPN26", C32),
    Model("cifar/pnasnet_a", CIFAR, "models/pnasnet.py", "keras", "PNASNetA", C32),
    # Deep Learning with Python (3rd edition notebooks, Keras 3)
    Model("dlwp/ch04_imdb", DLWP, "chapter04_classification-and-regression.ipynb", "pytorch",
          "model", (10000,), cells=(12,)),
    Model("dlwp/ch04_housing", DLWP, "chapter04_classification-and-regression.ipynb", "pytorch",
          "get_model", (13,), cells=(12, 55)),
    Model("dlwp/ch07_ticket_multi_io", DLWP, "chapter07_deep-dive-keras.ipynb", "pytorch",
          "model", (10000,), cells=(3, 20)),
    Model("dlwp/ch07_subclassed", DLWP, "chapter07_deep-dive-keras.ipynb", "pytorch", "model",
          (3,), cells=(3, 33)),
    Model("dlwp/ch07_mnist_builder", DLWP, "chapter07_deep-dive-keras.ipynb", "pytorch",
          "get_mnist_model", (784,), cells=(3, 35)),
    Model("dlwp/ch08_mnist_convnet", DLWP, "chapter08_image-classification.ipynb", "pytorch",
          "model", (28, 28, 1), cells=(3,)),
    Model("dlwp/ch08_cats_dogs", DLWP, "chapter08_image-classification.ipynb", "pytorch",
          "model", (180, 180, 3), cells=(13, 27)),
    Model("dlwp/ch09_residual_blocks", DLWP, "chapter09_convnet-architecture-patterns.ipynb",
          "pytorch", "model", (32, 32, 3), cells=(3, 5)),
    Model("dlwp/ch09_mini_xception", DLWP, "chapter09_convnet-architecture-patterns.ipynb",
          "pytorch", "model", (180, 180, 3), cells=(3, 10)),
    Model("dlwp/ch13_conv1d", DLWP, "chapter13_timeseries-forecasting.ipynb", "pytorch", "model",
          (120, 14), cells=(14, 16), given="import numpy as np\nsequence_length = 120\n"
          "raw_data = np.zeros((1, 14))"),
    Model("dlwp/ch13_stacked_gru", DLWP, "chapter13_timeseries-forecasting.ipynb", "pytorch",
          "model", (120, 14), cells=(14, 24), given="import numpy as np\nsequence_length = 120\n"
          "raw_data = np.zeros((1, 14))"),
    Model("dlwp/ch15_gru_lm", DLWP, "chapter15_language-models-and-the-transformer.ipynb",
          "pytorch", "model", (100,), cells=(10,),
          given="import keras\nfrom keras import layers\nsequence_length = 100\n"
          "vocabulary_size = 1000"),
    # keras-team/keras: the examples shipped with Keras 3
    Model("keras/demo_functional", KERAS, "examples/demo_functional.py", "pytorch", "model",
          (100,), script=True),
    Model("keras/demo_mnist_convnet", KERAS, "examples/demo_mnist_convnet.py", "pytorch",
          "model", (28, 28, 1), script=True),
    Model("keras/demo_subclass", KERAS, "examples/demo_subclass.py", "pytorch", "model", (128,),
          script=True),
    Model("keras/demo_custom_layer", KERAS, "examples/demo_custom_layer_backend_agnostic.py",
          "pytorch", "model", (128,), script=True),
    # keras-team/keras: Keras Applications as Keras 3 ships them (builder functions: blocks made
    # in loops, sizes from helpers, conditions on the data format), untrained, at small inputs
    *(Model(f"keras-apps/{name}", KERAS, f"keras/src/applications/{path}.py", "pytorch",
            f"{builder}(weights=None, input_shape={shape}, classes=10)", shape)
      for name, path, builder, shape in (
          ("vgg16", "vgg16", "VGG16", A64), ("vgg19", "vgg19", "VGG19", A64),
          ("resnet50", "resnet", "ResNet50", A64), ("resnet50v2", "resnet_v2", "ResNet50V2", A64),
          ("mobilenet", "mobilenet", "MobileNet", A64),
          ("mobilenetv2", "mobilenet_v2", "MobileNetV2", A64),
          ("mobilenetv3small", "mobilenet_v3", "MobileNetV3Small", A64),
          ("densenet121", "densenet", "DenseNet121", A64),
          ("xception", "xception", "Xception", (71, 71, 3)),
          ("inception_v3", "inception_v3", "InceptionV3", (75, 75, 3)),
          ("inception_resnet_v2", "inception_resnet_v2", "InceptionResNetV2", (75, 75, 3)),
          ("efficientnetb0", "efficientnet", "EfficientNetB0", A64),
          ("efficientnetv2b0", "efficientnet_v2", "EfficientNetV2B0", A64),
          ("nasnetmobile", "nasnet", "NASNetMobile", A64),
          ("convnext_tiny", "convnext", "ConvNeXtTiny", A64))),
    # keras-io examples as ported to Keras 3 in keras-team/keras-core (keras-io's own snapshot
    # is over the fetch limit); keras_core was renamed keras 3.0: the extraction says keras
    Model("keras-io/mnist_convnet", KERAS_CORE, f"{KIO}/vision/mnist_convnet.py", "pytorch",
          "model", (28, 28, 1), script=True),
    Model("keras-io/autoencoder", KERAS_CORE, f"{KIO}/vision/autoencoder.py", "pytorch",
          "autoencoder", (28, 28, 1), script=True),
    Model("keras-io/oxford_pets_unet", KERAS_CORE,
          f"{KIO}/vision/oxford_pets_image_segmentation.py", "pytorch", "get_model((64, 64), 3)",
          (64, 64, 3), script=True),
    Model("keras-io/timeseries_fcn", KERAS_CORE,
          f"{KIO}/timeseries/timeseries_classification_from_scratch.py", "pytorch",
          "make_model(input_shape=(500, 1))", (500, 1), script=True, given="num_classes = 2"),
    Model("keras-io/timeseries_transformer", KERAS_CORE,
          f"{KIO}/timeseries/timeseries_classification_transformer.py", "pytorch",
          "build_model((500, 1), head_size=256, num_heads=4, ff_dim=4, num_transformer_blocks=4,"
          " mlp_units=[128], mlp_dropout=0.4, dropout=0.25)", (500, 1), script=True,
          given="n_classes = 2"),
    Model("keras-io/bidirectional_lstm", KERAS_CORE, f"{KIO}/nlp/bidirectional_lstm_imdb.py",
          "pytorch", "model", (200,), script=True),
    Model("keras-io/addition_rnn", KERAS_CORE, f"{KIO}/nlp/addition_rnn.py", "pytorch", "model",
          (7, 12), script=True),
    Model("keras-io/siamese", KERAS_CORE, f"{KIO}/vision/siamese_contrastive.py", "pytorch",
          "siamese", (28, 28, 1), script=True),
    Model("keras-io/movielens_recommender", KERAS_CORE,
          f"{KIO}/structured_data/collaborative_filtering_movielens.py", "pytorch",
          "RecommenderNet(num_users, num_movies, EMBEDDING_SIZE)", (2,), script=True,
          given="num_users = 610\nnum_movies = 9724"),
    *(Model(f"keras-io/{name}", KERAS_CORE, f"{KIO}/vision/{path}.py", "pytorch", select,
            (32, 32, 3), script=True) for name, path, select in (
        ("vit", "image_classification_with_vision_transformer", "create_vit_classifier()"),
        ("mlp_mixer", "mlp_image_classification", "build_classifier(mlpmixer_blocks)"),
        ("cct", "cct", "create_cct_model()"),
        ("eanet", "eanet", "get_model()"),
        ("token_learner", "token_learner", "create_vit_classifier()"))),
    # a second batch of keras-io examples, taken as they come (session 8: not picked for
    # passing): (name, path under examples/keras_io, selection, input shape, given)
    *(Model(f"keras-io/{name}", KERAS_CORE, f"{KIO}/{path}.py", "pytorch", select, shape,
            script=True, given=given) for name, path, select, shape, given in (
        ("timeseries_anomaly", "timeseries/timeseries_anomaly_detection", "model", (288, 1),
         "import numpy as np\nx_train = np.zeros((2, 288, 1))"),
        ("conv_lstm", "vision/conv_lstm", "model", (5, 40, 40, 1),
         "import numpy as np\nx_train = np.zeros((2, 19, 40, 40, 1))"),
        ("gradient_centralization", "vision/gradient_centralization", "model",
         (300, 300, 3), ""),
        ("image_classification_from_scratch",
         "tensorflow/vision/image_classification_from_scratch",
         "make_model(input_shape=(64, 64, 3), num_classes=2)", (64, 64, 3), ""),
        ("antirectifier", "tensorflow/keras_recipes/antirectifier", "model", (784,), ""),
        ("weather_lstm", "tensorflow/timeseries/timeseries_weather_forecasting", "model",
         (120, 7), "import numpy as np\ninputs = np.zeros((2, 120, 7))"),
        ("imbalanced_mlp", "tensorflow/structured_data/imbalanced_classification", "model",
         (29,), "import numpy as np\nfeatures = np.ones((10, 29), dtype='float32')\n"
         "targets = np.array([[0], [1]] * 5, dtype='uint8')"),
        ("eeg_conv1d", "tensorflow/timeseries/eeg_signal_classification", "create_model()",
         (512, 1), "num_classes = 5"),  # sklearn is not installed: its imports are dropped
        ("zero_dce", "tensorflow/vision/zero_dce", "build_dce_net()", (32, 32, 3), ""),
        ("involution", "tensorflow/vision/involution", "inv_model", (32, 32, 3), ""),
        ("vae_encoder", "tensorflow/generative/vae", "encoder", (28, 28, 1), ""))),
    # Hands-On Machine Learning (3rd edition notebooks)
    Model("homl/ch10_mlp", HOML, "10_neural_nets_with_keras.ipynb", "pytorch", "model",
          (28, 28), cells=(24,), given="import tensorflow as tf"),
    Model("homl/ch10_wide_deep", HOML, "10_neural_nets_with_keras.ipynb", "pytorch", "model",
          (5,), cells=(58,), given="import tensorflow as tf"),
    Model("homl/ch14_cnn", HOML, "14_deep_computer_vision_with_cnns.ipynb", "pytorch", "model",
          (28, 28, 1), cells=(29,), given="import tensorflow as tf"),
    Model("homl/ch14_resnet34", HOML, "14_deep_computer_vision_with_cnns.ipynb", "pytorch",
          "model", (224, 224, 3), cells=(31, 32),
          given="import tensorflow as tf\nfrom functools import partial"),
    Model("homl/ch15_deep_rnn", HOML, "15_processing_sequences_using_rnns_and_cnns.ipynb",
          "pytorch", "deep_model", (56, 1), cells=(38,), given="import tensorflow as tf"),
]


def snapshot(repo: str) -> tuple[Path, str]:
    git_dir = MIRROR / repo.replace("/", "+") / "repo"
    if not git_dir.is_dir():
        raise FileNotFoundError(f"no snapshot of {repo} at {git_dir} (fetch github:{repo} first)")
    commit = subprocess.run(["git", f"--git-dir={git_dir}", "rev-parse", "HEAD"], check=True,
                            capture_output=True, text=True).stdout.strip()
    return git_dir, commit


def blob(git_dir: Path, path: str) -> str:
    return subprocess.run(["git", f"--git-dir={git_dir}", "cat-file", "blob", f"HEAD:{path}"],
                          check=True, capture_output=True, text=True).stdout


def _keep_py(stmt: ast.stmt) -> bool:
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        names = [a.name for a in stmt.names] if isinstance(stmt, ast.Import) else [stmt.module]
        return not any((n or "").split(".")[0] in DATA_MODULES for n in names)
    if isinstance(stmt, (ast.ClassDef, ast.FunctionDef)):
        return True
    if isinstance(stmt, ast.Assign):  # a constant (`cfg = {...}`, `EPS = 1e-5`, `1.0 / 3.0`)
        return all(isinstance(n, ast.Constant | ast.Tuple | ast.List | ast.Dict | ast.Set |
                              ast.BinOp | ast.UnaryOp | ast.operator | ast.unaryop |
                              ast.expr_context) for n in ast.walk(stmt.value))
    return False


def extract(model: Model) -> tuple[str, str]:
    """The model's code as published minus data loading, and a header naming its origin."""
    git_dir, commit = snapshot(model.repo)
    text = blob(git_dir, model.path)
    if model.repo == KERAS_CORE:  # the package was renamed keras 3.0; not installed as keras_core
        text = text.replace("keras_core", "keras")
    if model.path.endswith(".ipynb") or model.script:
        code = [{"source": text}] if model.script else \
            [c for c in json.loads(text)["cells"] if c["cell_type"] == "code"]
        parts, tainted = [], set()  # names the dropped statements bound: data
        given_names = {n.id for n in ast.walk(ast.parse(model.given))
                       if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        for index in model.cells or (0,):
            src = "".join(code[index]["source"])
            if not model.script:  # a notebook's magics (a script's % is an operator)
                src = "\n".join(line for line in src.splitlines()
                                if not line.lstrip().startswith(("%", "!")))
            tree = ast.parse(src)
            lines = src.splitlines()
            for stmt in tree.body:
                seg = "\n".join(lines[stmt.lineno - 1:stmt.end_lineno])
                read = {n.id for n in ast.walk(stmt)  # del x_train counts as a use
                        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load | ast.Del)}
                if isinstance(stmt, ast.AugAssign):  # x_train /= 255 reads x_train
                    read |= {n.id for n in ast.walk(stmt.target) if isinstance(n, ast.Name)}
                bound = {n.id for n in ast.walk(stmt)
                         if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
                if isinstance(stmt, ast.Import | ast.ImportFrom):
                    bound |= {(a.asname or a.name).split(".")[0] for a in stmt.names}
                read -= given_names
                if isinstance(stmt, ast.FunctionDef | ast.ClassDef):
                    if any(use in seg for use in DATA_USES) or read & tainted:
                        tainted.add(stmt.name)  # it reads data when called: so do its calls
                    else:
                        tainted.discard(stmt.name)
                    parts.append(seg)
                elif isinstance(stmt, ast.Assign) and bound & given_names and not (
                        {n.id for n in ast.walk(stmt.value) if isinstance(n, ast.Name)} &
                        given_names):
                    continue  # the given value stands for what the data made of it
                elif any(use in seg for use in DATA_USES) or read & tainted or (
                        isinstance(stmt, ast.Import | ast.ImportFrom) and not _keep_py(stmt)):
                    tainted |= bound
                else:
                    tainted -= bound  # rebound by a kept statement (the next cell's model)
                    parts.append(seg)
        body = "\n".join(parts)
        where = "its statements" if model.script else \
            f"code cells {', '.join(map(str, model.cells))}"
    else:
        tree = ast.parse(text)
        lines = text.splitlines()
        body = "\n\n".join("\n".join(lines[(s.decorator_list[0].lineno if getattr(
            s, "decorator_list", None) else s.lineno) - 1:s.end_lineno])
            for s in tree.body if _keep_py(s))
        where = "imports, classes, functions and literal constants"
    given = f"# given (the dropped data-loading code computed these):\n{model.given}\n\n" \
        if model.given else ""
    future = [line for line in body.splitlines() if line.startswith("from __future__ ")]
    if future:  # they must stay the file's first statements
        body = "\n".join(line for line in body.splitlines() if line not in future)
        given = "\n".join(future) + "\n" + given
    if model.repo == KERAS_CORE:
        where += "; keras_core read as keras"
    header = (f"# Extracted by bench/real_models.py from github.com/{model.repo} @ {commit[:12]}\n"
              f"# {model.path}: {where}\n")
    return header + given + body + "\n", commit


@dataclass
class Row:
    model: Model
    translated: bool = False
    verified: bool = False
    runs: bool | None = None
    max_abs: float | None = None
    seconds: float = 0.0
    reason: str = ""
    notes: list[str] = field(default_factory=list)
    path: str = "-"  # static: read only; runtime: built by running the file (traced / graph)


def run_emitted(path: Path, to: str) -> str | None:
    """Run the emitted file as a whole; None when it exits 0, else the last error line."""
    env = dict(os.environ, KERAS_BACKEND="tensorflow" if to == "keras" else "torch",
               TF_CPP_MIN_LOG_LEVEL="3")
    try:
        proc = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                              timeout=180, env=env, cwd=path.parent)
    except subprocess.TimeoutExpired:
        return "timed out after 180 s"
    if proc.returncode == 0:
        return None
    tail = [line for line in proc.stderr.strip().splitlines() if line.strip()]
    return tail[-1] if tail else f"exit {proc.returncode}"


def measure(model: Model, worker: VerificationWorker) -> Row:
    row = Row(model)
    start = time.perf_counter()
    source, _ = extract(model)
    src_path = WORK / (model.name.replace("/", "__") + ".py")
    src_path.write_text(source)
    try:
        tr = translate(source, model.to, class_name=model.select, input_shape=model.input_shape,
                       filename=str(src_path), run_code=True, worker=worker)
    except TranslationError as exc:
        row.reason = f"translation: {exc}"
        row.seconds = time.perf_counter() - start
        return row
    except Exception as exc:  # noqa: BLE001 - a crash is a result here, counted and shown
        row.reason = f"CRASH in translate: {type(exc).__name__}: {exc}"
        row.seconds = time.perf_counter() - start
        return row
    row.translated = True
    row.path = "runtime" if any(n.startswith("traced:") or "as built by running the file" in n
                                for n in tr.notes) else "static"
    out_path = WORK / (model.name.replace("/", "__") + f".{model.to}.py")
    out_path.write_text(tr.target_code)
    report = verify_translation(str(src_path), tr, worker=worker, source_text=source,
                                timeout=300, onnx=False, training=False)
    row.verified, row.max_abs = report.verified, report.max_abs_error
    # what a reader of the table must know: draws fixed for the comparison, or why none can agree
    row.notes = [n for n in (*report.notes, *tr.notes)
                 if "fixed" in n or "cannot verify" in n or "cannot agree" in n]
    if not report.verified:
        row.reason = "; ".join([f"verification: {report.message}",
                                *(n for n in row.notes if n not in report.message)])
    failure = run_emitted(out_path, model.to)
    row.runs = failure is None
    if failure and not row.reason:
        row.reason = f"emitted file fails: {failure}"
    row.seconds = time.perf_counter() - start
    return row


def table(rows: list[Row]) -> list[str]:
    head = (f"{'model':<30} {'origin':<46} {'dir':<6} {'transl.':<8} {'verified':<9} "
            f"{'runs':<5} {'path':<8} {'max abs':<9} {'s':>6}")
    lines = [head, "-" * len(head)]
    for r in rows:
        m = r.model
        err = "-" if r.max_abs is None else f"{r.max_abs:.1e}"
        runs = "-" if r.runs is None else ("yes" if r.runs else "NO")
        lines.append(f"{m.name:<30} {(m.repo + ':' + m.path)[-46:]:<46} "
                     f"{'->K' if m.to == 'keras' else '->T':<6} "
                     f"{'yes' if r.translated else 'NO':<8} {'yes' if r.verified else 'NO':<9} "
                     f"{runs:<5} {r.path:<8} {err:<9} {r.seconds:>6.1f}")
    lines.append("")
    for label, to in (("PyTorch -> Keras", "keras"), ("Keras -> PyTorch", "pytorch"),
                      ("all", None)):
        sub = [r for r in rows if to is None or r.model.to == to]
        if sub:
            ok = sum(r.translated and r.verified and bool(r.runs) for r in sub)
            lines.append(f"{label:<17} {len(sub):>3} models: translated {sum(r.translated for r in sub)}"
                         f", verified {sum(r.verified for r in sub)}, emitted file runs "
                         f"{sum(bool(r.runs) for r in sub)}; all three {ok} "
                         f"({100 * ok / len(sub):.0f}%)")
    lines.append("")
    lines.append("Why each model that did not pass all three stopped:")
    for r in rows:
        if r.reason:
            lines.append(f"  {r.model.name}: {' '.join(r.reason.split())[:400]}")
    noted = [r for r in rows if r.notes and not r.reason]
    if noted:
        lines += ["", "Verified with a note:"]
        lines += [f"  {r.model.name}: {' '.join(' '.join(r.notes).split())[:300]}" for r in noted]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="model names (or prefixes) to run")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "real_models.txt")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    models = [m for m in MODELS if not args.only or any(m.name.startswith(p) for p in args.only)]
    rows = []
    with VerificationWorker(idle_timeout=600) as worker:
        for model in models:
            row = measure(model, worker)
            rows.append(row)
            print(f"{model.name}: translated={row.translated} verified={row.verified} "
                  f"runs={row.runs} {row.reason[:160]}", flush=True)
    commits = {m.repo: snapshot(m.repo)[1][:12] for m in models}
    lines = [f"mlsense on real public models  {time.strftime('%Y-%m-%d %H:%M')}",
             "snapshots: " + ", ".join(f"{r} @ {c}" for r, c in sorted(commits.items())),
             "verify: CPU, atol/rtol 1e-4, batch 2; runs: the emitted file run as a whole; "
             "path: static (the file read) or runtime (the model built by running the file)", "",
             *table(rows)]
    print("\n".join(lines))
    if not args.only:
        args.out.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
