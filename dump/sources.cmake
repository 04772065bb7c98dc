# weave-dump's library sources, shared by the main build and the fuzzer's clang build.
set(WEAVE_DUMP_SOURCES
  src/json_reader.cc
  src/read_dump.cc
  src/groups.cc
  src/report.cc
  src/text.cc
  src/terminal.cc
  src/summary.cc
  src/diff.cc
  src/wait_graph.cc
  src/graph_dot.cc
  src/graph_layout.cc
  src/html.cc
  src/input.cc
  src/cli.cc)
list(TRANSFORM WEAVE_DUMP_SOURCES PREPEND ${CMAKE_CURRENT_LIST_DIR}/)
