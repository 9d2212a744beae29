/* std::string fields behind GObject string properties, for the signallers' set/get_property. */
#pragma once

#include <glib-object.h>

#include <string>

namespace rtc
{

/* Stores a string property's new value in @field; NULL stores @unset. */
inline void
set_string_property (std::string &field, const GValue *value, const char *unset = "")
{
  const gchar *s = g_value_get_string (value);
  field = s ? s : unset;
}

/* Reads @field as a string property: "" reads as NULL (unset). */
inline void
get_string_property (GValue *value, const std::string &field)
{
  g_value_set_string (value, field.empty () ? nullptr : field.c_str ());
}

} // namespace rtc
