# Sourced by the examples: use the plugin from the build tree when there is one.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ -d "$here/build/plugins" ]; then
  export GST_PLUGIN_PATH="$here/build/plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
fi
