# weave_instrument(<target>): builds <target> for the race detector. Its code is compiled with
# libweave_instrument.so (an LLVM 19 pass plugin: clang++-19 must be the C++ compiler) and linked
# with weave::weave_debug, whose engine then checks every access it makes. Line numbers need debug
# line tables: a configuration without -g gets -gline-tables-only.
#
# WEAVE_INSTRUMENT_PLUGIN names the plugin: the build tree's target, or the installed file (set by
# weaveConfig.cmake).
function(weave_instrument target)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang" OR NOT CMAKE_CXX_COMPILER_VERSION MATCHES "^19\\.")
    message(FATAL_ERROR "weave_instrument(${target}): the race detector's plugin is an LLVM 19 "
      "pass plugin, and this build compiles C++ with ${CMAKE_CXX_COMPILER_ID} "
      "${CMAKE_CXX_COMPILER_VERSION}: configure with -DCMAKE_CXX_COMPILER=clang++-19")
  endif()
  if(NOT WEAVE_INSTRUMENT_PLUGIN)
    message(FATAL_ERROR "weave_instrument(${target}): libweave_instrument.so was not built "
      "(LLVM 19 was not found)")
  endif()
  target_compile_options(${target} PRIVATE "-fpass-plugin=${WEAVE_INSTRUMENT_PLUGIN}"
    $<$<NOT:$<CONFIG:Debug,RelWithDebInfo>>:-gline-tables-only>)
  target_link_libraries(${target} PRIVATE weave::weave_debug)
  set(plugin_file ${WEAVE_INSTRUMENT_PLUGIN})
  if(TARGET weave_instrument)
    set(plugin_file ${WEAVE_INSTRUMENT_PLUGIN_FILE})
  endif()
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
