# Install rules and Debian packages (`cpack -G DEB` in the build directory).
#
#   agora-master  /usr/bin/agora-master, agora-master.service, /etc/default/agora-master,
#                 the `agora` system user (postinst), /var/lib/agora/master
#   agora-agent   /usr/bin/agora-{agent,shim,executor}, agora-agent.service,
#                 /etc/default/agora-agent (the agent runs as root: it starts tasks as
#                 other users and must own their sandboxes)
#   agora-cli     /usr/bin/agora (statically linked), bash completion when present
#   libagora-dev  include/agora (public headers, generated v1 proto headers, v1 .proto
#                 files), the driver archives and what they link, and the CMake package
#                 `Agora` (find_package(Agora) -> Agora::scheduler_driver,
#                 Agora::executor_driver)
#
# The drivers are static archives (PIE objects, Debian's default), so an
# out-of-tree framework links them into its executable and needs only the
# Debian -dev packages of protobuf, gRPC, abseil, glog and the ZooKeeper C
# client, declared as Depends of libagora-dev. Runtime Depends are explicit,
# copied from what dpkg-shlibdeps derives: CPACK_DEBIAN_PACKAGE_SHLIBDEPS=ON
# took `cpack -G DEB` from ~3 s to ~14 s here and needs dpkg-dev.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# Packages install under /usr: Debian's multiarch library directory, and the
# configuration files and units at their absolute Debian paths. The units
# name /usr/bin, so a plain `cmake --install` (prefix /usr/local, units into
# the real /lib/systemd/system) is not a supported install: stage one with
# `DESTDIR=/tmp/stage cmake --install build --prefix /usr`, or use the
# packages.
if(CMAKE_LIBRARY_ARCHITECTURE)
  set(AGORA_INSTALL_LIBDIR "lib/${CMAKE_LIBRARY_ARCHITECTURE}")
else()
  set(AGORA_INSTALL_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
endif()
set(AGORA_CMAKE_DIR "${AGORA_INSTALL_LIBDIR}/cmake/Agora")
set(AGORA_UNIT_DIR /lib/systemd/system)
set(AGORA_DEFAULT_DIR /etc/default)
set(AGORA_PACKAGING_DIR "${PROJECT_SOURCE_DIR}/packaging")

# --- daemons and CLI -------------------------------------------------------
install(TARGETS agora-master RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT master)
install(FILES "${AGORA_PACKAGING_DIR}/systemd/agora-master.service"
        DESTINATION ${AGORA_UNIT_DIR} COMPONENT master)
install(FILES "${AGORA_PACKAGING_DIR}/default/agora-master"
        DESTINATION ${AGORA_DEFAULT_DIR} COMPONENT master)

install(TARGETS agora-agent agora-shim agora-executor
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT agent)
install(FILES "${AGORA_PACKAGING_DIR}/systemd/agora-agent.service"
        DESTINATION ${AGORA_UNIT_DIR} COMPONENT agent)
install(FILES "${AGORA_PACKAGING_DIR}/default/agora-agent"
        DESTINATION ${AGORA_DEFAULT_DIR} COMPONENT agent)

install(TARGETS agora RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT cli)
if(EXISTS "${PROJECT_SOURCE_DIR}/scripts/agora-completion.bash")
  install(FILES "${PROJECT_SOURCE_DIR}/scripts/agora-completion.bash"
          DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME agora
          COMPONENT cli)
endif()

# --- libagora-dev ------------------------------------------------------------
# An exported static target must bring every archive of ours it links
# (PRIVATE ones too): collect the drivers' link closure, so a library added
# to a driver later is exported without an edit here.
function(agora_link_closure out)
  set(seen ${ARGN})
  set(queue ${ARGN})
  while(queue)
    list(POP_FRONT queue target)
    get_target_property(links ${target} LINK_LIBRARIES)
    foreach(link IN LISTS links)
      if(TARGET ${link} AND NOT link IN_LIST seen)
        get_target_property(imported ${link} IMPORTED)
        if(NOT imported)
          list(APPEND seen ${link})
          list(APPEND queue ${link})
        endif()
      endif()
    endforeach()
  endwhile()
  set(${out} ${seen} PARENT_SCOPE)
endfunction()
agora_link_closure(AGORA_DEV_TARGETS agora_scheduler agora_executor_driver)
set_target_properties(agora_scheduler PROPERTIES EXPORT_NAME scheduler_driver)
set_target_properties(agora_executor_driver PROPERTIES EXPORT_NAME executor_driver)

# The targets name headers in the source and build trees, and Boost (header
# only, used inside agora_common's .cpp files): both stay in the build tree.
# An installed consumer gets <prefix>/include instead.
foreach(target IN LISTS AGORA_DEV_TARGETS)
  get_target_property(dirs ${target} INTERFACE_INCLUDE_DIRECTORIES)
  set(wrapped "$<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>")
  foreach(dir IN LISTS dirs)
    if(dir)
      list(APPEND wrapped "$<BUILD_INTERFACE:${dir}>")
    endif()
  endforeach()
  set_target_properties(${target} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${wrapped}")
  get_target_property(links ${target} INTERFACE_LINK_LIBRARIES)
  if(links)
    list(TRANSFORM links REPLACE "^Boost::headers$" "$<BUILD_INTERFACE:Boost::headers>")
    set_target_properties(${target} PROPERTIES INTERFACE_LINK_LIBRARIES "${links}")
  endif()
endforeach()

install(TARGETS ${AGORA_DEV_TARGETS} EXPORT AgoraTargets
        ARCHIVE DESTINATION ${AGORA_INSTALL_LIBDIR}/agora COMPONENT dev)
install(EXPORT AgoraTargets NAMESPACE Agora:: DESTINATION ${AGORA_CMAKE_DIR} COMPONENT dev)
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/agora"
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
# Generated headers of the public API (agora/v1) and the .proto files they
# come from; the internal protos (agent-master, registry) stay private.
install(DIRECTORY "${PROJECT_BINARY_DIR}/proto/gen/agora/v1"
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/agora COMPONENT dev FILES_MATCHING PATTERN "*.h")
install(DIRECTORY "${PROJECT_SOURCE_DIR}/proto/agora/v1"
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/agora COMPONENT dev FILES_MATCHING PATTERN "*.proto")

configure_package_config_file("${AGORA_PACKAGING_DIR}/AgoraConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/packaging/AgoraConfig.cmake" INSTALL_DESTINATION ${AGORA_CMAKE_DIR})
write_basic_package_version_file("${PROJECT_BINARY_DIR}/packaging/AgoraConfigVersion.cmake"
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/packaging/AgoraConfig.cmake"
              "${PROJECT_BINARY_DIR}/packaging/AgoraConfigVersion.cmake"
        DESTINATION ${AGORA_CMAKE_DIR} COMPONENT dev)

# --- CPack ---------------------------------------------------------------------
set(CPACK_PACKAGE_NAME agora)
set(CPACK_PACKAGE_VENDOR "The Agora project")
set(CPACK_PACKAGE_CONTACT "Agora maintainers <agora-dev@lists.agora.invalid>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_COMPONENTS_ALL master agent cli dev)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://agora.invalid/")
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_STRIP_FILES ON)
# gzip: ~3 s for the four packages (10.9 MB); xz took ~30 s for 7.7 MB.
set(CPACK_DEBIAN_COMPRESSION_TYPE gzip)

# Runtime libraries of the dynamically linked daemons (dpkg-shlibdeps on
# Debian 12).
set(AGORA_DAEMON_DEPENDS
    "libc6 (>= 2.34), libstdc++6 (>= 12), libgcc-s1 (>= 3.0), libgrpc++1.51 (>= 1.51.1), libgrpc29 (>= 1.51.1), libprotobuf32 (>= 3.21.12), libgoogle-glog0v6 (>= 0.6.0), libgflags2.2 (>= 2.2.2), libzookeeper-mt2, libabsl20220623, libjemalloc2")

set(CPACK_DEBIAN_MASTER_PACKAGE_NAME agora-master)
set(CPACK_DEBIAN_MASTER_PACKAGE_DEPENDS "${AGORA_DAEMON_DEPENDS}, adduser")
set(CPACK_DEBIAN_MASTER_PACKAGE_RECOMMENDS agora-cli)
set(CPACK_DEBIAN_MASTER_PACKAGE_CONTROL_EXTRA
    "${AGORA_PACKAGING_DIR}/debian/agora-master/conffiles;${AGORA_PACKAGING_DIR}/debian/agora-master/postinst;${AGORA_PACKAGING_DIR}/debian/agora-master/prerm;${AGORA_PACKAGING_DIR}/debian/agora-master/postrm")
set(CPACK_COMPONENT_MASTER_DESCRIPTION "Agora cluster manager: master daemon
The Agora master elects a leader through ZooKeeper (or runs standalone),
keeps the registry of agents and frameworks, and offers resources with
the DRF allocator. It runs as the 'agora' system user under systemd
(agora-master.service); flags in /etc/default/agora-master.")

set(CPACK_DEBIAN_AGENT_PACKAGE_NAME agora-agent)
set(CPACK_DEBIAN_AGENT_PACKAGE_DEPENDS "${AGORA_DAEMON_DEPENDS}")
set(CPACK_DEBIAN_AGENT_PACKAGE_RECOMMENDS agora-cli)
set(CPACK_DEBIAN_AGENT_PACKAGE_CONTROL_EXTRA
    "${AGORA_PACKAGING_DIR}/debian/agora-agent/conffiles;${AGORA_PACKAGING_DIR}/debian/agora-agent/postinst;${AGORA_PACKAGING_DIR}/debian/agora-agent/prerm;${AGORA_PACKAGING_DIR}/debian/agora-agent/postrm")
set(CPACK_COMPONENT_AGENT_DESCRIPTION "Agora cluster manager: agent daemon
The Agora agent with agora-shim and the built-in command executor
(agora-executor). It runs as root under systemd (agora-agent.service):
it starts tasks as other users and owns their sandboxes. Flags in
/etc/default/agora-agent.")

set(CPACK_DEBIAN_CLI_PACKAGE_NAME agora-cli)
# Statically linked against gRPC, protobuf and the rest: libc and libunwind.
set(CPACK_DEBIAN_CLI_PACKAGE_DEPENDS "libc6 (>= 2.36), libunwind8")
set(CPACK_COMPONENT_CLI_DESCRIPTION "Agora cluster manager: command-line client
The 'agora' command: cluster state, agents, frameworks, tasks, quota,
weights, draining, task logs and 'agora run'.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libagora-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# What find_package(Agora) finds through find_dependency, and the linker
# needs for the archives (gRPCConfig.cmake refers to the plugin binaries of
# protobuf-compiler-grpc).
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "libprotobuf-dev, libgrpc++-dev, protobuf-compiler-grpc, libabsl-dev, libgoogle-glog-dev, libzookeeper-mt-dev")
set(CPACK_COMPONENT_DEV_DESCRIPTION "Agora cluster manager: framework development files
Headers, generated protobuf headers and .proto files of the Agora v1
API, the scheduler and executor driver libraries (static), and the CMake
package: find_package(Agora) provides Agora::scheduler_driver and
Agora::executor_driver.")

include(CPack)
