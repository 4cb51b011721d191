// A page whose next step is another site (a Checkout Session just paid: the agency's
// success_url) goes on there by itself. A redirect from our server would need no script, but
// when the payment was confirmed by a form (ours, or a provider's page), that redirect ends
// the form's navigation on another origin, which the CSP's form-action refuses; a script's
// navigation is not a form's. Without JavaScript the page's own link does the same.
(function () {
  var link = document.querySelector("a[data-continue-to]");
  if (link) { window.location.replace(link.href); }
})();
