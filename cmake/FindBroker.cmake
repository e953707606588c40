# Finds libbroker.
#
# First a CMake package config, as a Zeek install provides
# (<prefix>/lib/cmake/Broker, imported target `broker`, CAF linked inside,
# C++20). Then the plain headers and libraries of Debian's libbroker-dev 1.4,
# which needs CAF's core and io libraries beside it.
#
# Defines the imported target Broker::Broker and ZRB_BROKER_NEW_API (TRUE for
# the Broker of Zeek 6.2 and later, which has broker/variant.hh); for a
# package config also BROKER_PREFIX (the install prefix) and
# BROKER_REAL_LIB_DIR (the build tree's links to its libraries).

find_package(Broker CONFIG QUIET NO_MODULE)
if(Broker_FOUND AND TARGET broker)
  # Link and run against real symlinks in the build tree: a Zeek install may
  # hold its library symlinks flattened into text files (ZrbRealLibs.cmake).
  include(ZrbRealLibs)
  set(_zrb_props IMPORTED_LOCATION)
  get_target_property(_zrb_broker_configs broker IMPORTED_CONFIGURATIONS)
  foreach(_cfg IN LISTS _zrb_broker_configs)
    string(TOUPPER "IMPORTED_LOCATION_${_cfg}" _prop)
    list(APPEND _zrb_props ${_prop})
  endforeach()
  foreach(_prop IN LISTS _zrb_props)
    get_target_property(_loc broker ${_prop})
    if(_loc)
      get_filename_component(_dir "${_loc}" DIRECTORY)
      get_filename_component(_name "${_loc}" NAME)
      set(BROKER_REAL_LIB_DIR "${CMAKE_BINARY_DIR}/broker-lib")
      zrb_real_libs("${_dir}" "${BROKER_REAL_LIB_DIR}")
      set_target_properties(broker PROPERTIES ${_prop} "${BROKER_REAL_LIB_DIR}/${_name}")
      # The prefix the Broker came with (for a Zeek install: its bin/zeek).
      get_filename_component(BROKER_PREFIX "${_dir}/.." ABSOLUTE)
    endif()
  endforeach()
  add_library(Broker::Broker INTERFACE IMPORTED)
  target_link_libraries(Broker::Broker INTERFACE broker)
  get_target_property(_zrb_broker_inc broker INTERFACE_INCLUDE_DIRECTORIES)
  set(BROKER_INCLUDE_DIR "${_zrb_broker_inc}")
else()
  find_path(BROKER_INCLUDE_DIR broker/broker.hh)
  find_library(BROKER_LIBRARY NAMES broker)
  find_library(CAF_CORE_LIBRARY NAMES caf_core)
  find_library(CAF_IO_LIBRARY NAMES caf_io)
  include(FindPackageHandleStandardArgs)
  find_package_handle_standard_args(Broker
    REQUIRED_VARS BROKER_LIBRARY BROKER_INCLUDE_DIR CAF_CORE_LIBRARY CAF_IO_LIBRARY)
  if(Broker_FOUND AND NOT TARGET Broker::Broker)
    add_library(Broker::Broker INTERFACE IMPORTED)
    target_include_directories(Broker::Broker SYSTEM INTERFACE "${BROKER_INCLUDE_DIR}")
    target_link_libraries(Broker::Broker INTERFACE
      "${BROKER_LIBRARY}" "${CAF_IO_LIBRARY}" "${CAF_CORE_LIBRARY}" Threads::Threads)
  endif()
endif()

set(ZRB_BROKER_NEW_API FALSE)
foreach(_dir IN LISTS BROKER_INCLUDE_DIR)
  if(EXISTS "${_dir}/broker/variant.hh")
    set(ZRB_BROKER_NEW_API TRUE)
  endif()
endforeach()
