# What `cmake --install` and `cpack` (./dev.sh package) ship, for users who take weave as an
# installed package rather than as a subproject:
#   - the CMake package: find_package(weave) gives weave::weave and weave::weave_debug;
#   - pkg-config files: weave.pc and weave_debug.pc (the debug runtime's flags and libraries);
#   - a Debian package holding both, the headers, weave-dump, weave-lint and the clang-tidy
#     module (their install rules sit next to their targets) and the man pages, with the Debian
#     packages it needs declared.
# The runtimes are static libraries: what they link (Abseil, Boost.Context, threads) is part of
# what a user's program must link, so the .pc files name it all in Libs and Requires.
include(CMakePackageConfigHelpers)
include(GNUInstallDirs)

set(WEAVE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/weave)
install(EXPORT weaveTargets NAMESPACE weave:: DESTINATION ${WEAVE_CMAKE_DIR})
configure_package_config_file(cmake/weaveConfig.cmake.in ${PROJECT_BINARY_DIR}/weaveConfig.cmake
  INSTALL_DESTINATION ${WEAVE_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/weaveConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/weaveConfig.cmake ${PROJECT_BINARY_DIR}/weaveConfigVersion.cmake
  cmake/WeaveInstrument.cmake DESTINATION ${WEAVE_CMAKE_DIR})

# pkg-config: the prefix is found from the .pc file's own place (${pcfiledir}), so the files are
# right wherever the package is installed or unpacked (/usr, /usr/local, a scratch root named by
# PKG_CONFIG_PATH or PKG_CONFIG_SYSROOT_DIR) and cpack's prefix needs no second configuration.
file(RELATIVE_PATH WEAVE_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
foreach(runtime weave weave_debug)
  set(WEAVE_PC_NAME ${runtime})
  if(runtime STREQUAL "weave_debug")
    set(WEAVE_PC_DESCRIPTION "Go's concurrency model for C++20: the debug runtime (leak dumps, deadlocks, races)")
    set(WEAVE_PC_CFLAGS "-DWEAVE_DEBUG=1 -fno-omit-frame-pointer")
  else()
    set(WEAVE_PC_DESCRIPTION "Go's concurrency model for C++20: fibers, channels, select, contexts")
    set(WEAVE_PC_CFLAGS "")
  endif()
  configure_file(cmake/weave.pc.in ${PROJECT_BINARY_DIR}/${runtime}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/${runtime}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()

# The man pages of the tools this build has, and the docs they point to.
foreach(tool weave-dump weave-lint)
  if(TARGET ${tool})
    install(FILES docs/man/${tool}.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
  endif()
endforeach()
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} PATTERN man EXCLUDE)

# The Debian package. The runtimes' users need Abseil and Boost.Context to link; weave-lint needs
# LLVM 19's libraries and Clang 19's builtin headers; the clang-tidy module is loaded by
# clang-tidy-19; weave-dump html's graph needs nothing more (it draws its own SVG).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME weave)
set(CPACK_PACKAGE_VENDOR "the weave authors")
set(CPACK_PACKAGE_CONTACT "weave maintainers <weave@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Go's concurrency model for C++20, with a linter and a debug runtime")
set(CPACK_PACKAGE_DESCRIPTION "Fibers, channels, select, contexts and the sync primitives with Go's \
semantics (static libraries weave and weave_debug, headers, CMake package, pkg-config files); \
weave-lint, a Clang 19 checker for lost cancels, unclosed channels and unguarded shared state, also \
as a clang-tidy module; weave-dump, the reader of the debug runtime's leak and race dumps.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libabsl-dev, libboost-context-dev (>= 1.74)")
if(TARGET weave-lint)
  string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS ", libllvm19, libclang-cpp19, libclang-common-19-dev")
  set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "clang-tidy-19")
endif()
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "pkgconf, graphviz")
# dpkg-shlibdeps adds the libc and libstdc++ versions the binaries were linked against.
find_program(WEAVE_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(WEAVE_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
endif()
include(CPack)
