/* Shrink phone photos before upload (weak signal in the street): inputs marked data-shrink.
 * Every photo whose long side is over 1600 px, or whose file is over 400 KB, is redrawn at most
 * 1600 px on the long side as JPEG (quality 0.8) through createImageBitmap and a canvas; anything
 * that fails keeps the original file (the server still checks the content). A form waits while
 * photos are still being shrunk. The offline queue (offline.js) stores the already-shrunk files,
 * so both the online and the offline path upload small photos. */
(function () {
  "use strict";
  var MAX_SIDE = 1600, QUALITY = 0.8, MAX_BYTES = 400 * 1024;

  function shrink(file) {
    return new Promise(function (resolve) {
      if (!/^image\/(jpeg|png|webp)$/.test(file.type) || !window.createImageBitmap) {
        resolve(file);
        return;
      }
      createImageBitmap(file).then(function (bitmap) {
        var longSide = Math.max(bitmap.width, bitmap.height);
        if (longSide <= MAX_SIDE && file.size <= MAX_BYTES) { resolve(file); return; }
        var scale = Math.min(1, MAX_SIDE / longSide);
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(bitmap.width * scale);
        canvas.height = Math.round(bitmap.height * scale);
        canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        if (bitmap.close) bitmap.close();
        canvas.toBlob(function (blob) {
          // Keep the original only when it was small in pixels already and the redraw is no smaller.
          if (!blob || (scale === 1 && blob.size >= file.size)) { resolve(file); return; }
          resolve(new File([blob], file.name.replace(/\.[^.]+$/, "") + ".jpg", {type: "image/jpeg"}));
        }, "image/jpeg", QUALITY);
      }).catch(function () { resolve(file); });
    });
  }
  window.cwShrinkPhoto = shrink;

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-shrink]") || !window.DataTransfer) return;
    var files = Array.prototype.slice.call(input.files);
    if (!files.length) return;
    input.setAttribute("data-busy", "1");
    Promise.all(files.map(shrink)).then(function (out) {
      var transfer = new DataTransfer();
      out.forEach(function (f) { transfer.items.add(f); });
      input.files = transfer.files;  // setting files fires no change event: no loop
    }).finally(function () {
      input.removeAttribute("data-busy");
      input.dispatchEvent(new CustomEvent("cw:shrunk", {bubbles: true}));
    });
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.querySelector("input[data-busy]")) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    var submitter = event.submitter;
    // Submit again once every photo of the form is ready.
    form.addEventListener("cw:shrunk", function again() {
      if (form.querySelector("input[data-busy]")) return;
      form.removeEventListener("cw:shrunk", again);
      submitter ? form.requestSubmit(submitter) : form.requestSubmit();
    });
  }, true);
})();
