# The installable library: libbraid.so (SONAME libbraid.so.<major>) and libbraid.a, made of
# the protocol core, the Linux runtime, the public runtime and the C API; the public headers;
# braidConfig.cmake (find_package(braid CONFIG) -> braid::braid, braid::braid_static) and
# braid.pc. The shared library exports the C API (braid_*) and braid:: C++ symbols only
# (cmake/braid.map); everything it uses from fmt, GnuTLS and libsodium stays inside or is
# a dependency of the package, never a symbol of it.
set(braid_parts braid_wire braid_crypto braid_plugin braid_cc braid_recovery braid_detect braid_qlog braid_conn
                braid_io braid_runtime braid_capi)
foreach(part ${braid_parts})
  if(NOT TARGET ${part})
    message(STATUS "braid package: ${part} missing, libbraid not built")
    return()
  endif()
endforeach()

add_library(braid_shared SHARED ${PROJECT_SOURCE_DIR}/cmake/braid_library.cpp)
# Every object of every part goes in (--whole-archive), whether the library itself calls it
# or not; the parts' own dependencies follow as ordinary shared libraries.
set(braid_part_files)
foreach(part ${braid_parts})
  list(APPEND braid_part_files $<TARGET_FILE:${part}>)
endforeach()
add_dependencies(braid_shared ${braid_parts})
find_package(Threads REQUIRED)
target_link_libraries(braid_shared PRIVATE -Wl,--whole-archive ${braid_part_files} -Wl,--no-whole-archive
                      PkgConfig::GNUTLS PkgConfig::SODIUM fmt::fmt Threads::Threads)
target_compile_definitions(braid_shared PRIVATE BRAID_VERSION="${PROJECT_VERSION}")
set_target_properties(braid_shared PROPERTIES
  OUTPUT_NAME braid
  VERSION ${PROJECT_VERSION}
  SOVERSION ${PROJECT_VERSION_MAJOR}
  LINK_DEPENDS ${PROJECT_SOURCE_DIR}/cmake/braid.map)
target_link_options(braid_shared PRIVATE "-Wl,--version-script=${PROJECT_SOURCE_DIR}/cmake/braid.map"
                    "-Wl,--no-undefined")

# libbraid.a: the parts' archives merged into one (ar's MRI script), so a static consumer
# links one archive plus the dependencies braid.pc lists.
set(braid_static_file ${CMAKE_CURRENT_BINARY_DIR}/libbraid.a)
set(mri "create ${braid_static_file}\n")
set(archives)
foreach(part ${braid_parts})
  string(APPEND mri "addlib $<TARGET_FILE:${part}>\n")
  list(APPEND archives $<TARGET_FILE:${part}>)
endforeach()
string(APPEND mri "save\nend\n")
file(GENERATE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/libbraid.mri CONTENT "${mri}")
add_custom_command(OUTPUT ${braid_static_file}
  COMMAND ${CMAKE_COMMAND} -E rm -f ${braid_static_file}
  COMMAND ${CMAKE_AR} -M < ${CMAKE_CURRENT_BINARY_DIR}/libbraid.mri
  DEPENDS ${braid_parts} ${CMAKE_CURRENT_BINARY_DIR}/libbraid.mri
  COMMENT "Merging the braid archives into libbraid.a" VERBATIM)
add_custom_target(braid_static ALL DEPENDS ${braid_static_file})

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
set(BRAID_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/braid)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/braid DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev
        FILES_MATCHING PATTERN "*.h")
install(TARGETS braid_shared LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT lib NAMELINK_COMPONENT dev)
install(FILES ${braid_static_file} DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
# `cmake --install --strip` and cpack (CPACK_STRIP_FILES) strip the shared library and the
# tool; the archive gets its debug sections dropped the same way (symbols stay, it links).
install(CODE "
  if(CMAKE_INSTALL_DO_STRIP OR \"\${CPACK_GENERATOR}\" STREQUAL \"DEB\")
    execute_process(COMMAND \"${CMAKE_STRIP}\" --strip-debug
                    \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/libbraid.a\")
  endif()" COMPONENT dev)
if(TARGET braid)
  install(TARGETS braid RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT tool)
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/braidConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/braidConfig.cmake INSTALL_DESTINATION ${BRAID_CMAKE_DIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_LIBDIR)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/braidConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/braidConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/braidConfigVersion.cmake
        DESTINATION ${BRAID_CMAKE_DIR} COMPONENT dev)
# braid.pc: the prefix is the install prefix at install time (cmake --install --prefix).
configure_file(${PROJECT_SOURCE_DIR}/cmake/braid.pc.in ${CMAKE_CURRENT_BINARY_DIR}/braid.pc.in @ONLY)
install(CODE "
  file(READ \"${CMAKE_CURRENT_BINARY_DIR}/braid.pc.in\" pc)
  string(REPLACE \"%BRAID_PREFIX%\" \"\${CMAKE_INSTALL_PREFIX}\" pc \"\${pc}\")
  file(WRITE \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig/braid.pc\" \"\${pc}\")
  message(STATUS \"Installing: \$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig/braid.pc\")
" COMPONENT dev)

# cpack -G DEB (optional): libbraid, headers, the tool, in one package.
set(CPACK_PACKAGE_NAME braid)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "braid developers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "braid: multipath QUIC transport library, C API and tools")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# Release packages carry no debug sections (a RelWithDebInfo tree is ~430 MB installed).
set(CPACK_STRIP_FILES ON)
include(CPack)
