// Keyboard shortcuts and small progressive enhancements. The app works without this file.
"use strict";
