# lit configuration for the pass's IR tests: each .ll runs `opt -passes=weave-instrument` with the
# plugin and checks the output with FileCheck. CMake passes the plugin and the tools' directory.
import lit.formats

config.name = "weave-instrument"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".ll"]
config.test_source_root = os.path.dirname(__file__)
# lit keeps its timings in the exec root: the build tree, not the sources.
config.test_exec_root = lit_config.params["exec_root"]
config.substitutions.append(("%plugin", lit_config.params["plugin"]))
config.environment["PATH"] = lit_config.params["tools"] + os.pathsep + config.environment.get("PATH", "")
