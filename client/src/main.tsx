import { render } from "preact";
import { initLanguage } from "./i18n/index.js";
import { App } from "./ui/App.js";
import "./styles.css";

// Before the first render: every string is read in the chosen language.
initLanguage();
render(<App />, document.getElementById("app")!);
