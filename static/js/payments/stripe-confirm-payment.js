// Stripe mode: the customer confirms a payment their bank asks about (SCA) with Stripe.js, on
// the PaymentIntent's client secret; then the form posts "done" and the server reads the answer.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("stripe-confirm-form");
  if (!form || typeof Stripe === "undefined") return;
  const stripe = Stripe(form.dataset.publishableKey);
  const errors = document.getElementById("confirm-errors");
  let confirmed = false;
  form.addEventListener("submit", async (event) => {
    if (confirmed) return; // the second, real submit
    event.preventDefault();
    errors.textContent = "";
    const options = form.dataset.paymentMethod ? { payment_method: form.dataset.paymentMethod } : {};
    const result = await stripe.confirmCardPayment(form.dataset.clientSecret, options);
    if (result.error) errors.textContent = result.error.message;
    // Success or not, the server reads what the PaymentIntent became and says so.
    confirmed = true;
    form.submit();
  });
});
