// Carrying C++ values through C callbacks' gpointer user data and destroy notify.
#pragma once

#include <glib-object.h>

#include <utility>

namespace rtc
{

// A heap copy of @value for user data; free it with free_boxed<T>.
template <typename T>
gpointer
boxed (T value)
{
  return new T (std::move (value));
}

template <typename T>
void
free_boxed (gpointer data)
{
  delete static_cast<T *> (data);
}

// g_signal_connect_data with a boxed copy of @data, freed with the handler.
template <typename T>
gulong
connect_boxed (gpointer instance, const char *signal, GCallback callback, T data)
{
  return g_signal_connect_data (
      instance, signal, callback, boxed (std::move (data)),
      [] (gpointer p, GClosure *) { free_boxed<T> (p); }, GConnectFlags (0));
}

} // namespace rtc
