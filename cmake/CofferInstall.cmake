# `cmake --install build --prefix P` installs coffer the way a system library
# is installed (GNUInstallDirs layout under P):
#
#   include/coffer/coffer.h, coffer.hpp
#   lib/libcoffer.so.0.1.0, libcoffer.so.0 (SONAME), libcoffer.so (dev link)
#   lib/libcoffer.a
#   lib/cmake/coffer/     find_package(coffer CONFIG): coffer::coffer (shared)
#                         and coffer::coffer_static (static, with the link
#                         interface of its dependencies)
#   lib/pkgconfig/coffer.pc
#
# Both the CMake package and coffer.pc are relocatable: they locate the
# prefix from their own path, so a tree installed under one prefix and moved
# elsewhere still works.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(COFFER_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/coffer)
set(COFFER_INSTALL_PKGCONFIGDIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/coffer
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h" PATTERN "*.hpp")

# The shared library and its package file need nothing else installed.
set_target_properties(coffer_shared PROPERTIES EXPORT_NAME coffer)
install(TARGETS coffer_shared EXPORT cofferTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT cofferTargets NAMESPACE coffer:: DESTINATION ${COFFER_INSTALL_CMAKEDIR})

# The static library carries its dependencies' link interface through
# coffer_deps (exported as coffer::coffer_deps); cofferConfig.cmake finds
# those dependencies before it loads this export set.
set_target_properties(coffer_static PROPERTIES EXPORT_NAME coffer_static)
set_target_properties(coffer_deps PROPERTIES EXPORT_NAME coffer_deps)
# libcoffer.a is C++: a program linked by the C compiler needs libstdc++ too.
target_link_libraries(coffer_deps INTERFACE $<INSTALL_INTERFACE:$<$<LINK_LANGUAGE:C>:stdc++>>)
install(TARGETS coffer_static coffer_deps EXPORT cofferStaticTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT cofferStaticTargets NAMESPACE coffer:: DESTINATION ${COFFER_INSTALL_CMAKEDIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/cofferConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cofferConfig.cmake
  INSTALL_DESTINATION ${COFFER_INSTALL_CMAKEDIR})
# One SONAME major (libcoffer.so.0) is one ABI: any 0.x satisfies a request
# for 0.y with y <= x.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cofferConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cofferConfig.cmake
              ${PROJECT_BINARY_DIR}/cofferConfigVersion.cmake
  DESTINATION ${COFFER_INSTALL_CMAKEDIR})

# coffer.pc: `pkg-config --cflags --libs coffer` links the shared library;
# `--static` adds what libcoffer.a needs (Requires.private, Libs.private).
# The prefix is found relative to the .pc file (${pcfiledir}).
if(IS_ABSOLUTE "${COFFER_INSTALL_PKGCONFIGDIR}")
  set(COFFER_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _coffer_pc_up /prefix/${COFFER_INSTALL_PKGCONFIGDIR} /prefix)
  string(REGEX REPLACE "/$" "" _coffer_pc_up "${_coffer_pc_up}")
  set(COFFER_PC_PREFIX "\${pcfiledir}/${_coffer_pc_up}")
endif()
foreach(dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    set(COFFER_PC_${dir} "${CMAKE_INSTALL_${dir}}")
  else()
    set(COFFER_PC_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()
configure_file(${PROJECT_SOURCE_DIR}/cmake/coffer.pc.in ${PROJECT_BINARY_DIR}/coffer.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/coffer.pc DESTINATION ${COFFER_INSTALL_PKGCONFIGDIR})
