# zrb_real_libs(<src dir> <dest dir>)
#
# Makes <dest dir> (inside the build tree) hold, for every lib*.so* file of
# <src dir>, a real symbolic link to the shared library it stands for.
#
# Some installs (the shared Zeek builds the tests use among them) carry their
# library symlinks "flattened" into small text files: libbroker.so contains
# "libbroker.so.4", which contains "libbroker.so.2.8", the real library. The
# linker and the dynamic loader read such a file as a broken ELF ("file too
# short"), so the build links and runs against <dest dir> instead. Real
# symlinks and real files are followed just the same, so this is a no-op in
# effect on an ordinary install.

function(_zrb_resolve_lib dir name out)
  set(path "${dir}/${name}")
  foreach(_hop RANGE 8)
    get_filename_component(path "${path}" REALPATH)
    file(SIZE "${path}" size)
    if(size GREATER 255)
      break()
    endif()
    # A flattened link: its content is the name of the file it stood for.
    file(STRINGS "${path}" target LIMIT_COUNT 1)
    string(STRIP "${target}" target)
    if(target STREQUAL "" OR target MATCHES "[\r\n]")
      break()
    endif()
    if(NOT IS_ABSOLUTE "${target}")
      get_filename_component(here "${path}" DIRECTORY)
      set(target "${here}/${target}")
    endif()
    if(NOT EXISTS "${target}")
      break()
    endif()
    set(path "${target}")
  endforeach()
  set(${out} "${path}" PARENT_SCOPE)
endfunction()

function(zrb_real_libs src dest)
  file(MAKE_DIRECTORY "${dest}")
  file(GLOB libs RELATIVE "${src}" "${src}/lib*.so*")
  foreach(name IN LISTS libs)
    _zrb_resolve_lib("${src}" "${name}" real)
    file(CREATE_LINK "${real}" "${dest}/${name}" SYMBOLIC)
  endforeach()
endfunction()
