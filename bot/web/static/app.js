// Bar heights come from data-h (the Content-Security-Policy forbids inline styles).
document.querySelectorAll(".bars .fill").forEach(function (el) {
  el.style.height = (parseInt(el.dataset.h, 10) || 0) + "%";
});
