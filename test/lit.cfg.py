# -*- Python -*-
# lit configuration of Photon's FileCheck, reference and end-to-end tests.
import os
import shutil
import subprocess

import lit.formats
from lit.llvm import llvm_config

config.name = "Photon"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.photon_obj_root, "test")
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]

llvm_config.use_default_substitutions()
llvm_config.with_system_environment(["HOME", "CUDA_HOME", "CUDA_ROOT", "CUDA_PATH"])
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tool_dirs = [config.photon_tools_dir, config.llvm_tools_dir]
llvm_config.add_tool_substitutions(
    ["photon-opt", "photon-translate", "photon-run", "photon-compile"], tool_dirs)

config.substitutions.append(("%examples", os.path.join(config.photon_src_root, "examples")))
config.substitutions.append(("%reference", os.path.join(config.photon_src_root, "reference")))
config.substitutions.append(("%photon_bin", config.photon_tools_dir))
config.substitutions.append(("%photon_obj", config.photon_obj_root))
config.substitutions.append(("%photon_src", config.photon_src_root))


def python_with_numpy():
    """The reference needs NumPy: Debian's python3-numpy (scripts/setup.sh)."""
    for py in ["/usr/bin/python3", shutil.which("python3")]:
        if py and subprocess.call([py, "-c", "import numpy"],
                                  stderr=subprocess.DEVNULL) == 0:
            return py
    return None


numpy_python = python_with_numpy()
if numpy_python:
    config.available_features.add("numpy")
    config.substitutions.append(("%numpy", numpy_python))
# Execution tests of host kernels: mlir-runner with the C runner utils
# (printI64), both from the MLIR packages of scripts/setup.sh.
c_runner_utils = os.path.join(os.path.dirname(config.llvm_tools_dir), "lib",
                              "libmlir_c_runner_utils.so")
if shutil.which("mlir-runner", path=config.llvm_tools_dir) and os.path.exists(c_runner_utils):
    config.available_features.add("mlir-runner")
    config.substitutions.append(("%mlir_c_runner_utils", c_runner_utils))
if shutil.which("g++") and shutil.which("cmake") and shutil.which("ninja"):
    config.available_features.add("gxx")

# gpu-module-to-binary finds libdevice (and ptxas) through CUDA_HOME; without
# it, __nv_* math functions would silently stay unresolved.
cuda_home = os.environ.get("CUDA_HOME", "/usr/local/cuda")
if os.path.exists(os.path.join(cuda_home, "bin", "ptxas")):
    config.environment["CUDA_HOME"] = cuda_home
    llvm_config.with_environment("PATH", os.path.join(cuda_home, "bin"), append_path=True)
    config.available_features.add("ptxas")
