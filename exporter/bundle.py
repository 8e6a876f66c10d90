"""Package a trained model as one downloadable zip that is also a working web page.

What is in it: the tfjs pair (model.json + weights) a web page loads, the ``.keras`` file
(the lossless original, for going back to Python), metadata.json (what it was trained on
and how to feed it) and README.txt. With a `ModelGuide` (every run's export has one) it
also holds index.html with the product's own ES modules and TensorFlow.js build, so the
unzipped folder served by any static server shows the model at work and checks itself
against predictions.json (Keras' outputs for a few dozen inputs).
"""

from __future__ import annotations

import functools
import html
import io
import json
import os
import re
import tempfile
import textwrap
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import keras
import numpy as np

from exporter.guide import ModelGuide
from exporter.tfjs import DEFAULT_WEIGHTS_PATH, model_json_bytes, to_tfjs, write_bytes_atomic

MODEL_JSON_NAME = "model.json"
KERAS_NAME = "model.keras"
METADATA_NAME = "metadata.json"
README_NAME = "README.txt"
PREDICTIONS_NAME = "predictions.json"
PAGE_NAME = "index.html"
TFJS_NAME = "tf.es2017.min.js"
PAGE_MODULE = "export-page.js"
"""The page's entry module in web/js: loads the model, runs the self-check, shows the view."""

PAGE_TEMPLATE = Path(__file__).with_name("page.html")
SNIPPET_FENCE = "-----"
"""README.txt marks each snippet with `----- name -----` … `----- end -----` lines, so a
reader sees where it starts and ends and a test can take it out and run it."""

# `import … from "./x.js"` and `export … from "./x.js"`: the only imports the product's
# modules use. Bare specifiers and dynamic imports are not followed.
_RELATIVE_IMPORT = re.compile(r"""\b(?:import|export)\b[^;'"]*?\bfrom\s*["'](\.{1,2}/[^"']+)["']""")


@dataclass(frozen=True)
class PageSources:
    """Where the exported page's files come from: the product's web folder (its ES modules
    under `js/`) and the TensorFlow.js build the product serves."""

    web_dir: Path
    tfjs_build: Path

    @classmethod
    def of_repo(cls, repo_root: Path) -> PageSources:
        return cls(repo_root / "web", repo_root / "node_modules" / "@tensorflow" / "tfjs"
                   / "dist" / TFJS_NAME)


_FILES = f"""\
  {MODEL_JSON_NAME}, {DEFAULT_WEIGHTS_PATH}
      The TensorFlow.js layers model (tf.loadLayersModel). Serve both from one folder.
  {KERAS_NAME}
      The Keras model, for Python (keras.models.load_model).
  {METADATA_NAME}
      What the model was trained on and how, and its input and output (as below).
  {PREDICTIONS_NAME}
      A few dozen raw inputs and the outputs Keras gives for them: check your own code
      against these (both snippets below print exactly these outputs)."""

_PAGE_FILES = f"""
  {PAGE_NAME}, js/, {TFJS_NAME}
      A page that shows the model at work and checks itself against Keras, with the
      TensorFlow.js build it uses (so it works offline)."""

_OPEN_PAGE = f"""\
Open it in a browser
  Browsers do not load models from file:// pages, so serve this folder with any static
  server, for example:

      python3 -m http.server 8000

  and open http://localhost:8000/ . The line under the title (#self-check) compares
  TensorFlow.js' outputs for the inputs in {PREDICTIONS_NAME} with Keras' on the backend the
  page picked ("matches Keras: max |diff| 3e-7 on webgl"). Add ?backend=cpu or
  ?backend=webgl to the address to try another backend.
"""


def export_zip(model: keras.Model, metadata: dict[str, Any], guide: ModelGuide | None = None,
               page: PageSources | None = None) -> bytes:
    """Build the download zip in memory and return its bytes.

    With `guide`, metadata.json gets its `input`, `output` and `page`, README.txt its
    preparation steps and snippets, and predictions.json Keras' outputs for the guide's
    examples; with `page` too, the zip holds the working page.

    The metadata is serialised first so a non-JSON value fails before any model work, and
    the tfjs conversion runs before saving so an unsupported layer raises ``ValueError``
    without leaving temporary files behind.
    """
    _json_bytes(full_metadata(metadata, guide))
    return package(model_files(model, guide), metadata, guide, page)


def model_files(model: keras.Model, guide: ModelGuide | None = None) -> dict[str, bytes]:
    """The files made from the Keras model: the tfjs pair, the .keras file and (with a
    guide) predictions.json. The only part of an export that needs the model, so a server
    holds its model only this long."""
    model_json, weight_data = to_tfjs(model, weights_path=DEFAULT_WEIGHTS_PATH)
    files = {MODEL_JSON_NAME: model_json_bytes(model_json), DEFAULT_WEIGHTS_PATH: weight_data,
             KERAS_NAME: _keras_file_bytes(model)}
    if guide is not None:
        files[PREDICTIONS_NAME] = _json_bytes(predictions(model, guide))
    return files


def full_metadata(metadata: dict[str, Any], guide: ModelGuide | None) -> dict[str, Any]:
    """metadata.json: the run's metadata with the guide's title, input, output and page."""
    if guide is None:
        return metadata
    return {"title": guide.title, **metadata, "input": guide.input_json(),
            "output": guide.output, "page": {"view": guide.view, **guide.page}}


def package(files: dict[str, bytes], metadata: dict[str, Any], guide: ModelGuide | None = None,
            page: PageSources | None = None) -> bytes:
    """The zip of `model_files`' files, metadata.json, README.txt and (with a guide and the
    page's sources) the page."""
    metadata = full_metadata(metadata, guide)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            # A .keras file is already a zip; deflating it again only costs time.
            stored = name == KERAS_NAME
            archive.writestr(name, data,
                             compress_type=zipfile.ZIP_STORED if stored else None)
        archive.writestr(METADATA_NAME, _json_bytes(metadata))
        if guide is not None and page is not None:
            for name, data in page_files(guide, page, metadata).items():
                # TensorFlow.js (1.1 MB) deflates 4× faster at level 1, for 20% more bytes:
                # a room of learners downloading at once costs the trainer less.
                archive.writestr(name, data, compresslevel=1 if name == TFJS_NAME else None)
        archive.writestr(README_NAME, readme(metadata, guide, with_page=page is not None)
                         .encode("utf-8"))
    return buffer.getvalue()


def write_export_zip(model: keras.Model, metadata: dict[str, Any],
                     path: str | os.PathLike[str], guide: ModelGuide | None = None,
                     page: PageSources | None = None) -> Path:
    """Write :func:`export_zip`'s archive to ``path`` atomically and return the path.

    Atomic so a download that starts while an export is being (re)written gets a whole zip,
    never a truncated one.
    """
    target = Path(path)
    write_bytes_atomic(target, export_zip(model, metadata, guide, page))
    return target


def predictions(model: keras.Model, guide: ModelGuide) -> dict[str, Any]:
    """predictions.json: the guide's raw examples and Keras' outputs for them."""
    outputs = np.asarray(model(guide.model_inputs.astype(np.float32), training=False))
    # An overflowing model's inf or NaN is null: JSON has neither (the page then says it
    # differs, rather than the download failing).
    outputs = np.where(np.isfinite(outputs), outputs, np.nan).astype(object)
    outputs[np.isnan(outputs.astype(float))] = None
    return {
        "about": "inputs: raw examples (see metadata.json's input); outputs: what the Keras "
                 "model (model.keras) gives for them, row for row",
        "inputs": guide.examples,
        "outputs": outputs.tolist(),
    }


def page_files(guide: ModelGuide, page: PageSources, metadata: dict[str, Any]) -> dict[str, bytes]:
    """index.html, the ES modules it runs (the entry, the guide's view and every module they
    import, copied from the product's web/js), and the TensorFlow.js build."""
    title = html.escape(str(metadata.get("title") or "A tf-playground model"))
    files = {PAGE_NAME: PAGE_TEMPLATE.read_text("utf-8").replace("{{title}}", title).encode()}
    for module in module_closure(page.web_dir / "js", [PAGE_MODULE, guide.view]):
        files[f"js/{module}"] = (page.web_dir / "js" / module).read_bytes()
    files[TFJS_NAME] = _read_cached(page.tfjs_build)
    return files


@functools.lru_cache(maxsize=4)
def _read_cached(path: Path) -> bytes:
    """TensorFlow.js' build (1.1 MB), read once per process, not per export."""
    return path.read_bytes()


def module_closure(js_dir: Path, entries: list[str]) -> list[str]:
    """The modules `entries` need (paths relative to `js_dir`): themselves and, transitively,
    every relative module they import. Nothing outside `js_dir` is taken."""
    seen: list[str] = []
    pending = list(entries)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        path = PurePosixPath(name)
        if path.is_absolute() or ".." in path.parts:
            raise ValueError(f"module {name!r} is outside {js_dir}")
        seen.append(name)
        source = (js_dir / name).read_text("utf-8")
        for target in _RELATIVE_IMPORT.findall(source):
            joined = os.path.normpath(str(path.parent / target)).replace(os.sep, "/")
            pending.append(joined)
    return sorted(seen)


def readme(metadata: dict[str, Any], guide: ModelGuide | None, *, with_page: bool) -> str:
    """README.txt: the files, how to open the page, how to prepare inputs, the snippets."""
    title = metadata.get("title") or "A tf-playground model"
    trained = ""
    if "epoch" in metadata:
        batches = f" ({metadata['batches']} batches)" if "batches" in metadata else ""
        when = f", exported {metadata['exportedAt']}" if "exportedAt" in metadata else ""
        trained = f"Trained for {metadata['epoch']} epochs{batches}{when}.\n"
    parts = [f"{title}\n{'=' * len(title)}\n{trained}",
             "This folder holds one trained model, in the TensorFlow.js and Keras formats, "
             "with what\nit was trained on and how to feed it.\n",
             "Files\n" + _FILES + (_PAGE_FILES if with_page else "") + "\n"]
    if with_page:
        parts.append(_OPEN_PAGE)
    if guide is None:
        parts.append("Use it\n      const model = await tf.loadLayersModel('./model.json');\n"
                     "      model = keras.models.load_model('model.keras')\n")
        return "\n".join(parts)
    shape = "[n, " + ", ".join(str(d) for d in guide.input_shape) + "]"
    steps = "\n".join(_wrap(f"{i}. {step}", "  ", "     ")
                      for i, step in enumerate(guide.preparation, 1))
    parts.append(
        "Inputs\n" + _wrap(f"One example is {guide.raw_input}. To prepare n of them:") + "\n"
        + steps + "\n" + _wrap(f"The model takes a {guide.input_dtype} tensor of shape "
                               f"{shape}.") + "\n")
    parts.append("Outputs\n" + _wrap(guide.output[:1].upper() + guide.output[1:] + ".") + "\n")
    parts.append(
        "In JavaScript\n  In a page served from this folder, after <script src=\""
        f"{TFJS_NAME}\"></script>\n  (or with `import * as tf from '@tensorflow/tfjs'`), as a "
        "<script type=\"module\">:\n\n" + _fenced("snippet.js", javascript_snippet(guide)))
    parts.append(
        "In Python\n  With TensorFlow installed (pip install tensorflow), in this folder:\n\n"
        + _fenced("snippet.py", python_snippet(guide)))
    parts.append(f"Both print the outputs {PREDICTIONS_NAME} holds for its inputs.\n")
    return "\n".join(parts)


def javascript_snippet(guide: ModelGuide) -> str:
    return (
        f'const model = await tf.loadLayersModel("./{MODEL_JSON_NAME}");\n'
        f'const {{ inputs }} = await (await fetch("./{PREDICTIONS_NAME}")).json();\n'
        f"{guide.javascript.strip()}\n"
        "const y = model.predict(x);\n"
        "console.log(JSON.stringify(await y.array()));\n"
    )


def python_snippet(guide: ModelGuide) -> str:
    return (
        "import json\n\nimport keras\nimport numpy as np\n\n"
        f'model = keras.models.load_model("{KERAS_NAME}")\n'
        f'with open("{PREDICTIONS_NAME}") as file:\n'
        '    inputs = json.load(file)["inputs"]\n'
        f"{guide.python.strip()}\n"
        "y = model.predict(x, verbose=0)\n"
        "print(json.dumps(y.tolist()))\n"
    )


def snippets(readme_text: str) -> dict[str, str]:
    """The snippets README.txt holds, by name (`snippet.js`, `snippet.py`), unindented."""
    found = {}
    pattern = re.compile(rf"^ *{SNIPPET_FENCE} (\S+) {SNIPPET_FENCE}\n(.*?)^ *{SNIPPET_FENCE} "
                         rf"end {SNIPPET_FENCE}$", re.M | re.S)
    for name, body in pattern.findall(readme_text):
        found[name] = "\n".join(line[4:] for line in body.splitlines()) + "\n"
    return found


def _wrap(text: str, first: str = "  ", rest: str | None = None) -> str:
    return textwrap.fill(text, width=88, initial_indent=first,
                         subsequent_indent=first if rest is None else rest,
                         break_on_hyphens=False, break_long_words=False)


def _fenced(name: str, code: str) -> str:
    body = "\n".join(f"    {line}" if line else "" for line in code.splitlines())
    return (f"    {SNIPPET_FENCE} {name} {SNIPPET_FENCE}\n{body}\n"
            f"    {SNIPPET_FENCE} end {SNIPPET_FENCE}\n")


def _json_bytes(value: Any) -> bytes:
    return (_pretty_json(value) + "\n").encode("utf-8")


def _pretty_json(value: Any, indent: str = "") -> str:
    """JSON for people: objects one key a line; a list of scalars on one line; a list of
    lists one item a line (a point, a row of predictions, an MNIST digit)."""
    inner = indent + "  "
    if isinstance(value, dict) and value:
        items = (f"{inner}{json.dumps(key)}: {_pretty_json(item, inner)}"
                 for key, item in value.items())
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    if isinstance(value, list) and value and any(isinstance(v, dict | list) for v in value):
        if all(isinstance(v, list) and not _has_dict(v) for v in value):
            items = (inner + json.dumps(v, allow_nan=False, separators=(",", ":"))
                     for v in value)
        else:
            items = (inner + _pretty_json(v, inner) for v in value)
        return "[\n" + ",\n".join(items) + f"\n{indent}]"
    return json.dumps(value, allow_nan=False, separators=(", ", ": "))


def _has_dict(value: Any) -> bool:
    if isinstance(value, dict):
        return True
    return isinstance(value, list) and any(_has_dict(v) for v in value)


def _keras_file_bytes(model: keras.Model) -> bytes:
    # model.save() only writes to a path whose name ends in ".keras", so go through a file.
    with tempfile.TemporaryDirectory(prefix="tfplayground-export-") as scratch:
        keras_path = Path(scratch) / KERAS_NAME
        model.save(keras_path)
        return keras_path.read_bytes()
