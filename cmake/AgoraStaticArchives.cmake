# agora_static_archives(OUT name...): the full paths of lib<name>.a for each
# name, from the system library directory; a missing archive is a configure
# error naming it (the Debian -dev packages install-deps installs ship them).
set(AGORA_STATIC_LIBDIR "/usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}")
function(agora_static_archives out)
  set(paths)
  foreach(name IN LISTS ARGN)
    set(path "${AGORA_STATIC_LIBDIR}/lib${name}.a")
    if(NOT EXISTS "${path}")
      message(FATAL_ERROR "${path} is missing (static archive for the agora CLI); "
                          "run scripts/install-deps or configure with -DAGORA_STATIC_CLI=OFF")
    endif()
    list(APPEND paths "${path}")
  endforeach()
  set(${out} ${paths} PARENT_SCOPE)
endfunction()
