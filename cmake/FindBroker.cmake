# Finds libbroker.
#
# First a CMake package config, as a Zeek install provides
# (<prefix>/lib/cmake/Broker, imported target `broker`, CAF linked inside,
# C++20). Then the plain headers and libraries of Debian's libbroker-dev 1.4,
# which needs CAF's core and io libraries beside it.
#
# Defines the imported target Broker::Broker and ZRB_BROKER_NEW_API (TRUE for
# the Broker of Zeek 6.2 and later, which has broker/variant.hh).

find_package(Broker CONFIG QUIET NO_MODULE)
if(Broker_FOUND AND TARGET broker)
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
