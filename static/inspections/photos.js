/* Shrink phone photos before upload (weak signal in the street): inputs marked data-shrink.
 * Photos over 1 MB are redrawn at most 1600 px on the long side as JPEG; anything that fails
 * keeps the original file. A form waits while photos are still being shrunk. */
(function () {
  "use strict";
  var MAX_SIDE = 1600, QUALITY = 0.82, MIN_BYTES = 1024 * 1024;

  function shrink(file) {
    return new Promise(function (resolve) {
      if (!/^image\/(jpeg|png|webp)$/.test(file.type) || file.size < MIN_BYTES || !window.createImageBitmap) {
        resolve(file);
        return;
      }
      createImageBitmap(file).then(function (bitmap) {
        var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(bitmap.width * scale);
        canvas.height = Math.round(bitmap.height * scale);
        canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        canvas.toBlob(function (blob) {
          if (!blob || blob.size >= file.size) { resolve(file); return; }
          resolve(new File([blob], file.name.replace(/\.[^.]+$/, "") + ".jpg", {type: "image/jpeg"}));
        }, "image/jpeg", QUALITY);
      }).catch(function () { resolve(file); });
    });
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-shrink]") || !window.DataTransfer) return;
    var files = Array.prototype.slice.call(input.files);
    if (!files.some(function (f) { return f.size >= MIN_BYTES; })) return;
    input.setAttribute("data-busy", "1");
    Promise.all(files.map(shrink)).then(function (out) {
      var transfer = new DataTransfer();
      out.forEach(function (f) { transfer.items.add(f); });
      input.files = transfer.files;  // setting files fires no change event: no loop
    }).finally(function () { input.removeAttribute("data-busy"); });
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.querySelector("input[data-busy]")) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    var submitter = event.submitter;
    setTimeout(function () { submitter ? form.requestSubmit(submitter) : form.requestSubmit(); }, 300);
  }, true);
})();
