export function NotFound() {
  return (
    <section>
      <h1>Not found</h1>
      <p>
        No page here. <a href="/ui/jobs">Jobs</a>
      </p>
    </section>
  );
}
