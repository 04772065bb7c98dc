# What `cmake --install` ships, for users who take weave as an installed package rather than as
# a subproject: the CMake package, with which find_package(weave) gives weave::weave and
# weave::weave_debug.
include(CMakePackageConfigHelpers)
include(GNUInstallDirs)

set(WEAVE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/weave)
install(EXPORT weaveTargets NAMESPACE weave:: DESTINATION ${WEAVE_CMAKE_DIR})
configure_package_config_file(cmake/weaveConfig.cmake.in ${PROJECT_BINARY_DIR}/weaveConfig.cmake
  INSTALL_DESTINATION ${WEAVE_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/weaveConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/weaveConfig.cmake ${PROJECT_BINARY_DIR}/weaveConfigVersion.cmake
  DESTINATION ${WEAVE_CMAKE_DIR})
