# weave_apply_build_flags(): weave's warnings and WEAVE_SANITIZE, given to the targets weave itself
# defines (every target built from a directory of weave's tree) and to no one else. Directory-wide
# add_compile_options would do the same for weave's folders, but a property set per target is what
# a parent project can see and trust: nothing of it reaches the parent's targets, and the flags
# never appear in the exported package (they are PRIVATE). A sanitized runtime still needs the
# sanitizer's runtime where it is linked, so weave::weave and weave::weave_debug pass the link flag
# on inside this build tree.
function(weave_apply_build_flags)
  set(dirs ${CMAKE_CURRENT_SOURCE_DIR})
  while(dirs)
    list(POP_FRONT dirs dir)
    get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
    list(APPEND dirs ${subdirs})
    get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
    foreach(target IN LISTS targets)
      get_property(type TARGET ${target} PROPERTY TYPE)
      if(NOT type MATCHES "^(EXECUTABLE|STATIC_LIBRARY|SHARED_LIBRARY|MODULE_LIBRARY|OBJECT_LIBRARY)$")
        continue()
      endif()
      # First, as directory options would come: a target's own -Wno-… must follow -Wall.
      get_property(own TARGET ${target} PROPERTY COMPILE_OPTIONS)
      set(flags -Wall -Wextra)
      if(WEAVE_SANITIZE)
        list(APPEND flags -fsanitize=${WEAVE_SANITIZE} -fno-omit-frame-pointer
          -fno-sanitize-recover=undefined)
        target_link_options(${target} PRIVATE -fsanitize=${WEAVE_SANITIZE})
      endif()
      set_property(TARGET ${target} PROPERTY COMPILE_OPTIONS ${flags} ${own})
    endforeach()
  endwhile()
  if(WEAVE_SANITIZE)
    foreach(runtime weave weave_debug)
      target_link_options(${runtime} INTERFACE $<BUILD_INTERFACE:-fsanitize=${WEAVE_SANITIZE}>)
    endforeach()
  endif()
endfunction()
