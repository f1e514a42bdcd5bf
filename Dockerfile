# Workshop / Binder image for Learning While Encrypted.
#   docker build -t learning-while-encrypted .
#   mkdir -p work && docker run --rm -p 127.0.0.1:8888:8888 -v "$PWD/work:/home/jovyan/work" learning-while-encrypted
# then open the http://127.0.0.1:8888/lab?token=... URL printed in the log (token authentication is on).
FROM python:3.11.7-slim-bookworm

# Binder passes NB_USER/NB_UID as build args; defaults match the Jupyter images.
ARG NB_USER=jovyan
ARG NB_UID=1000
ENV USER=${NB_USER} \
    HOME=/home/${NB_USER} \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# the learner: non-root, home /home/${NB_USER}; course/ and work/ belong to them (work/ is meant for a volume)
RUN useradd --create-home --home-dir /home/${NB_USER} --uid ${NB_UID} --shell /bin/bash ${NB_USER} \
    && install -d -o ${NB_USER} -g ${NB_USER} /home/${NB_USER}/course /home/${NB_USER}/work

WORKDIR /home/${NB_USER}/course

# torch first, from PyTorch's CPU index: the same pin as requirements.txt (tests/test_install_paths.py checks it),
# but the CPU build instead of the multi-GB CUDA one. The next step then finds torch already satisfied.
RUN pip install --no-cache-dir --index-url https://download.pytorch.org/whl/cpu torch==2.13.0

# the pin list, on its own layer so editing a notebook does not reinstall everything
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

# The course's JupyterLab defaults (the same file `make venv` installs), where Lab reads them: {sys.prefix}/share/
# jupyter/lab/settings/. No "get notified about official Jupyter news?" pop-up on first start (a workshop of 30 should
# not each dismiss it), no update check (the versions are pinned). A learner's own settings still win.
COPY jupyter/lab/settings/overrides.json /usr/local/share/jupyter/lab/settings/overrides.json

# the course itself, owned by the learner; course_lib editable so its source is the one in the course folder
COPY --chown=${NB_USER}:${NB_USER} . ./
RUN pip install --no-cache-dir --no-deps --no-build-isolation -e .

# work/ is meant for a volume (-v "$PWD/work:/home/jovyan/work"): learners' own notebooks survive the container.
WORKDIR /home/${NB_USER}
USER ${NB_USER}
EXPOSE 8888

# Token authentication stays on: Jupyter generates a random token and prints the URL with it in the log.
CMD ["jupyter", "lab", "--ip=0.0.0.0", "--port=8888", "--no-browser"]
