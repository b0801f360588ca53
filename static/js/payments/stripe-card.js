// Stripe mode: Stripe's own card field confirms a SetupIntent; only its id is posted to us.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("stripe-card-form");
  if (!form || typeof Stripe === "undefined") return;
  const stripe = Stripe(form.dataset.publishableKey);
  const card = stripe.elements().create("card");
  card.mount("#card-element");
  const errors = document.getElementById("card-errors");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.textContent = "";
    const result = await stripe.confirmCardSetup(form.dataset.clientSecret, {
      payment_method: { card },
    });
    if (result.error) {
      errors.textContent = result.error.message;
      return;
    }
    document.getElementById("setup-intent").value = result.setupIntent.id;
    form.submit();
  });
});
