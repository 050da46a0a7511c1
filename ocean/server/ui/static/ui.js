// Ocean catalog web UI: the one script. "Add a rule" copies the filter's last rule row.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const add = document.getElementById("add-rule");
  const rules = document.getElementById("rules");
  if (!add || !rules) return;
  add.hidden = false;
  add.addEventListener("click", () => {
    const rows = rules.querySelectorAll(".rule");
    const copy = rows[rows.length - 1].cloneNode(true);
    const n = rows.length + 1;
    copy.querySelectorAll("label").forEach((label) => {
      label.htmlFor = label.htmlFor.replace(/\d+$/, String(n));
    });
    copy.querySelectorAll("select, input").forEach((field) => {
      field.id = field.id.replace(/\d+$/, String(n));
      if (field.tagName === "INPUT") field.value = "";
      else field.selectedIndex = 0;
    });
    rules.appendChild(copy);
    copy.querySelector("select").focus();
  });
});
