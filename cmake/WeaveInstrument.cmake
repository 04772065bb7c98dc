# weave_instrument(<target>): builds <target> for the race detector. Its code is compiled with
# libweave_instrument.so (an LLVM 19 pass plugin: clang++-19 must be the C++ compiler) and linked
# with weave::weave_debug, whose engine then checks every access it makes. Line numbers need debug
# line tables: a configuration without -g gets -gline-tables-only.
#
# The plugin is the weave_instrument target when weave is built in the same tree (this repository,
# or a project that adds it with add_subdirectory or FetchContent: a target is seen from every
# directory, where a variable would be seen only below weave's own), else the installed file that
# weaveConfig.cmake names in WEAVE_INSTRUMENT_PLUGIN.
function(weave_instrument target)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang" OR NOT CMAKE_CXX_COMPILER_VERSION MATCHES "^19\\.")
    message(FATAL_ERROR "weave_instrument(${target}): the race detector's plugin is an LLVM 19 "
      "pass plugin, and this build compiles C++ with ${CMAKE_CXX_COMPILER_ID} "
      "${CMAKE_CXX_COMPILER_VERSION}: configure with -DCMAKE_CXX_COMPILER=clang++-19")
  endif()
  if(TARGET weave_instrument)
    set(plugin $<TARGET_FILE:weave_instrument>)
    get_target_property(dir weave_instrument LIBRARY_OUTPUT_DIRECTORY)
    set(plugin_file ${dir}/libweave_instrument.so)
  elseif(WEAVE_INSTRUMENT_PLUGIN)
    set(plugin ${WEAVE_INSTRUMENT_PLUGIN})
    set(plugin_file ${WEAVE_INSTRUMENT_PLUGIN})
  else()
    message(FATAL_ERROR "weave_instrument(${target}): libweave_instrument.so was not built: it "
      "needs LLVM 19 (llvm-19-dev), and a project that adds weave as a subdirectory must turn "
      "it on with -DWEAVE_BUILD_INSTRUMENT=ON")
  endif()
  target_compile_options(${target} PRIVATE "-fpass-plugin=${plugin}"
    $<$<NOT:$<CONFIG:Debug,RelWithDebInfo>>:-gline-tables-only>)
  target_link_libraries(${target} PRIVATE weave::weave_debug)
  if(CMAKE_CXX_COMPILER_LAUNCHER MATCHES "ccache")
    # ccache hashes the compiler and the sources, not a plugin: without this a changed plugin
    # would be served objects it never made.
    set_property(TARGET ${target} PROPERTY CXX_COMPILER_LAUNCHER
      ${CMAKE_COMMAND} -E env CCACHE_EXTRAFILES=${plugin_file} ${CMAKE_CXX_COMPILER_LAUNCHER})
  endif()
  if(TARGET weave_instrument)
    # In this build tree: build the plugin first, and recompile when it changes.
    add_dependencies(${target} weave_instrument)
    get_target_property(sources ${target} SOURCES)
    set_property(SOURCE ${sources} TARGET_DIRECTORY ${target} APPEND PROPERTY OBJECT_DEPENDS
      ${plugin_file})
  endif()
endfunction()
